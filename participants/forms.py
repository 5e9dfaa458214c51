"""Forms for places and registers: change or transfer a place, take or import a register."""

from django import forms

from cohorts.models import Cohort
from npq_portal.uploads import refuse_unless_csv

from .models import Attendance


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

        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = (
            Cohort.objects.filter(programme_id=enrolment.cohort.programme_id)
            .exclude(pk=enrolment.cohort_id)
            .exclude(status__in=["cancelled", "completed"])
            .select_related("programme")  # each is shown by name, which includes its programme
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


class ChargeActionForm(forms.Form):
    """Mark a charge invoiced or paid, or waive it (with the reason why)."""

    action = forms.ChoiceField(
        choices=[("invoiced", "Mark invoiced"), ("paid", "Mark paid"), ("waived", "Waive")]
    )
    reason = forms.CharField(max_length=1000, required=False)
