import re

from django import forms

from npq_portal.uploads import refuse_unless_csv

from .gias import ENCODING
from .models import EligibilityList
from .services import CONSENT_TEXT


class GiasUploadForm(forms.Form):
    file = forms.FileField(
        label="GIAS establishment extract",
        help_text="The edubasealldata file as downloaded from Get Information About Schools "
        "(CSV, Windows-1252). The whole file is checked before anything is imported.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refuse_unless_csv(upload, limit="gias")
        first_line = upload.read(65536).split(b"\n", 1)[0].decode(ENCODING, errors="replace")
        upload.seek(0)
        if "URN" not in first_line or "EstablishmentName" not in first_line:
            raise forms.ValidationError(
                "This is not a GIAS establishment extract: its first line has no URN and "
                "EstablishmentName columns."
            )
        return upload


class EligibilityListUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Which list", choices=EligibilityList.Kind.choices)
    file = forms.FileField(
        help_text="A CSV file whose first row names the columns: URN, UKPRN or Ofsted URN "
        "(as the list needs), and optionally Name. It replaces the current list; earlier "
        "versions are kept.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refuse_unless_csv(upload, limit="eligibility_list")
        return upload


class ChildcareProviderUploadForm(forms.Form):
    file = forms.FileField(
        label="Private childcare providers",
        help_text="A CSV file whose first row names the columns: Ofsted URN and Name, and "
        "optionally Postcode and LA code. Known providers are updated, new ones added.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refuse_unless_csv(upload, limit="childcare_providers")
        return upload


class FundingWhatChangesForm(forms.Form):
    rules = forms.ChoiceField(label="Rule set")
    with_current_lists = forms.BooleanField(
        required=False,
        initial=True,
        label="Use the current eligibility lists",
        help_text="Otherwise each decision keeps the list memberships it was made with.",
    )

    def __init__(self, *args, rule_sets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = [(name, name) for name in rule_sets]


class SchoolChoiceField(forms.CharField):
    """A school typed or picked from the search list ("Name, Town (URN 123456)"), or a URN."""

    def clean(self, value):
        from .models import School

        value = super().clean(value)
        if not value:
            return None
        match = re.search(r"\(URN (\d{5,7})\)\s*$", value) or re.fullmatch(
            r"\s*(\d{5,7})\s*", value
        )
        school = School.objects.filter(urn=int(match.group(1))).first() if match else None
        if school is None:
            raise forms.ValidationError(
                "Choose your school from the list as you type, enter its URN, or leave this blank."
            )
        return school


class ProgrammesField(forms.ModelMultipleChoiceField):
    """Programmes ticked on a public form, by id. An id past 64 bits is refused as any unknown
    id is: SQLite cannot compare one (OverflowError, a server error), and Django guards only
    single-value lookups, not the `__in` this field queries with."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                too_large = abs(int(pk)) >= 2**63
            except (TypeError, ValueError):
                continue  # not a number at all: Django's own check refuses it
            if too_large:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)


class SubscribeForm(forms.Form):
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(label="Email address")
    school = SchoolChoiceField(
        required=False,
        label="Your school (optional)",
        help_text="Start typing its name, town or postcode and choose it from the list.",
    )
    programmes = ProgrammesField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Which programmes would you like to hear about?",
        error_messages={"required": "Choose at least one programme."},
    )
    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        error_messages={"required": "Tick the box to agree, so we may email you."},
    )

    def __init__(self, *args, **kwargs):
        from programmes.models import Programme

        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = Programme.objects.offered().in_catalogue_order()
        self.fields["programmes"].label_from_instance = lambda programme: programme.name
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["school"].widget.attrs.update(
            {"data-school-search": "", "list": "school-options", "autocomplete": "off"}
        )


class SubscriberInterestsForm(forms.Form):
    programmes = ProgrammesField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Which programmes would you like to hear about?",
        error_messages={"required": "Choose at least one programme, or unsubscribe below."},
    )

    def __init__(self, *args, **kwargs):
        from programmes.models import Programme

        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = Programme.objects.offered().in_catalogue_order()
        self.fields["programmes"].label_from_instance = lambda programme: programme.name


class SchoolDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve the application"), ("decline", "Decline it")],
        widget=forms.RadioSelect,
        label="Your decision",
    )
    name = forms.CharField(max_length=200, label="Your name")
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment for the applicant",
        help_text="Needed if you decline.",
    )


class DelegateApprovalForm(forms.Form):
    email = forms.EmailField(label="Colleague's email address")
    name = forms.CharField(max_length=200, label="Your name")


class ApplicationDecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", "Accept"), ("waitlist", "Waitlist"), ("reject", "Reject")],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(max_length=1000, required=False)


class EnrolmentChangeForm(forms.Form):
    to = forms.ChoiceField(
        choices=[
            ("deferred", "Defer"),
            ("active", "Resume"),
            ("completed", "Complete"),
            ("withdrawn", "Withdraw"),
        ]
    )
    reason = forms.CharField(max_length=500, required=False)


class EnrolmentTransferForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=None, label="Move to")
    reason = forms.CharField(max_length=500, label="Why")

    def __init__(self, *args, enrolment, **kwargs):
        from cohorts.models import Cohort

        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = (
            Cohort.objects.filter(programme_id=enrolment.cohort.programme_id)
            .exclude(pk=enrolment.cohort_id)
            .exclude(status__in=["cancelled", "completed"])
            .select_related("programme")  # each is shown by name, which includes its programme
        )


class FundingOverrideForm(forms.Form):
    funded = forms.TypedChoiceField(
        choices=[("1", "Mark as funded by policy"), ("0", "Mark as not funded by policy")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        label="Override",
    )
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class SchoolLeaderForm(forms.Form):
    email = forms.EmailField(
        label="Their email address",
        help_text="They need a verified account with this address.",
    )


class RegisterForm(forms.Form):
    """A session's register: one mark per person (present unless already marked), and the
    reason for any mark changed after it was first recorded."""

    reason = forms.CharField(
        label="Why are you changing marks already recorded?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when you change a mark someone already recorded.",
    )

    def __init__(self, *args, enrolments, recorded: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Attendance

        self.rows = []
        for enrolment in enrolments:
            name = f"mark-{enrolment.pk}"
            self.fields[name] = forms.ChoiceField(
                label=enrolment.participant.get_full_name() or enrolment.participant.email,
                choices=Attendance.Mark.choices,
                initial=recorded.get(enrolment.pk, Attendance.Mark.PRESENT),
                widget=forms.RadioSelect,
            )
            self.rows.append((enrolment, self[name], recorded.get(enrolment.pk)))

    def marks(self) -> dict[int, str]:
        return {
            int(name.removeprefix("mark-")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("mark-")
        }


class RegisterImportForm(forms.Form):
    file = forms.FileField(
        label="Attendance report (CSV)",
        help_text="A CSV with a column headed “Email”, such as a Teams or Zoom attendance "
        "report saved as CSV. Everyone in it is marked present; everyone else absent.",
    )
    reason = forms.CharField(
        label="Why are you changing marks already recorded?",
        required=False,
        help_text="Needed only if this register was already taken.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refuse_unless_csv(upload, limit="attendance_register")
        return upload
