"""Forms for places and registers: change or transfer a place, take or import a register."""

import copy

from django import forms

from npq_portal.uploads import refuse_unless_csv

from .models import Attendance
from .selectors import transfer_cohorts


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
        self.fields["cohort"].queryset = transfer_cohorts(
            enrolment.cohort.programme_id, enrolment.cohort_id
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

        # Each person, their field's name and their mark recorded (rows: with the field).
        self._people = []
        # One field made and copied for each person: a register of fifty made fifty fields,
        # each normalising the same choices into its own widget (about 2 ms). The copies share
        # the widget, choices and validators, which nothing changes once made.
        mark = forms.ChoiceField(choices=Attendance.Mark.choices, widget=forms.RadioSelect)
        for enrolment in enrolments:
            name = f"mark-{enrolment.pk}"
            field = self.fields[name] = copy.copy(mark)
            field.label = enrolment.participant.get_full_name() or enrolment.participant.email
            field.initial = recorded.get(enrolment.pk, Attendance.Mark.PRESENT)
            self._people.append((enrolment, name, recorded.get(enrolment.pk)))

    @property
    def rows(self) -> list[tuple]:
        """Each person, their mark's field as drawn and the mark recorded. Made when asked
        for, not kept: the fields drawn refer back to the form, and a list of them on the form
        would keep it, and all it holds, for the cycle collector."""
        return [(enrolment, self[name], mark) for enrolment, name, mark in self._people]

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


# ---- Work Groups: a school's action plan, evaluation, and staff's changes to its place ----


class ActionPlanForm(forms.Form):
    """The school's action plan: written here, uploaded as a file, or both."""

    text = forms.CharField(
        label="Your school's action plan",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="What the school will do this year, who leads it and how you will know it "
        "worked. Write it here, upload it below, or both.",
    )
    upload = forms.FileField(
        label="Upload the action plan (optional)",
        required=False,
        help_text="A PDF, a Word document (.docx) or a text file, up to 10 MB. It replaces a "
        "file uploaded before.",
    )
    remove_file = forms.BooleanField(label="Remove the file uploaded before", required=False)

    def __init__(self, *args, has_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_file = has_file
        if not has_file:
            del self.fields["remove_file"]

    def clean(self):
        data = super().clean()
        keeps_file = self.has_file and not data.get("remove_file")
        if not (data.get("text", "").strip() or data.get("upload") or keeps_file):
            raise forms.ValidationError("Write the action plan or upload it.")
        return data


class EvaluationForm(forms.Form):
    """One heading of the school's evaluation return: the page asks this one question."""

    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, label: str, help_text: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].help_text = help_text


class SchoolPlaceDecisionForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)


class TeamMemberReplaceForm(forms.Form):
    """Who takes the place of someone in a school's team, and why."""

    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(
        help_text="Their account is linked, or one is made and they are "
        "emailed a link to set their password."
    )
    reason = forms.CharField(
        label="Why are they being replaced?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the school's history, e.g. 'Left the school at Easter'.",
    )
