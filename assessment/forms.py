from django import forms

from cohorts.models import Cohort
from npq_portal.forms import ModelChoicesField
from programmes.models import Programme

from .models import AssessmentWindow, Marking

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_field(label: str, help_text: str = "", required: bool = True):
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class AssessmentWindowForm(forms.ModelForm):
    """A window's fields, checked for shape only: the closing default and which cohorts fit
    are window_save's rules, and the view shows its refusals on this form."""

    opens_at = _datetime_field("Opens")
    closes_at = _datetime_field("Closes", required=False)  # help text: see __init__
    results_release_at = _datetime_field("Results released")

    class Meta:
        model = AssessmentWindow
        fields = [
            "programme",
            "cohort",
            "title",
            "opens_at",
            "closes_at",
            "results_release_at",
            "anonymous_marking",
        ]

    def __init__(self, *args, user=None, window_days: int = 8, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.offered().order_by("name")
        cohorts = Cohort.objects.select_related("programme").order_by("-academic_year", "name")
        if user is not None:
            cohorts = cohorts.for_user(user)
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].empty_label = "Every cohort of the programme"
        self.fields[
            "closes_at"
        ].help_text = f"Leave blank to close it {window_days} days after it opens."


class MaterialForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="e.g. Case study: Oakfield Primary School")
    upload = forms.FileField(label="File", help_text="A PDF or Word document (.docx).")


class SubmissionTextForm(forms.Form):
    text = forms.CharField(
        label="Your case study",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
    )


class SubmissionUploadForm(forms.Form):
    upload = forms.FileField(
        label="Upload a file",
        help_text="A PDF or Word document (.docx), up to 10 MB.",
    )


class EligibilityExceptionForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept with the decision, e.g. 'Missed two clinics through illness; "
        "caught up with recordings'.",
    )


class DeadlineExtensionForm(forms.Form):
    until = _datetime_field("New deadline")
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept with the decision, e.g. 'Bereavement leave in the window'.",
    )


def _result_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=Marking.Result.choices, widget=forms.RadioSelect)


def _feedback_field(rows: int, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label="Feedback for the participant",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class MarkingForm(forms.Form):
    criteria_met = forms.MultipleChoiceField(
        label="Criteria this work meets",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A pass needs every criterion met.",
    )
    result = _result_field("Result")
    feedback = _feedback_field(
        8,
        "They read it with their result: say what the work does well and, for a fail, what "
        "it needs to pass.",
    )

    def __init__(self, *args, criteria: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        if criteria:
            self.fields["criteria_met"].choices = [(c, c) for c in criteria]
        else:
            del self.fields["criteria_met"]


class AllocationForm(forms.Form):
    assessors = ModelChoicesField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Share among these assessors",
        help_text="Each submission goes to whoever has least unmarked work; a second mark "
        "never goes to the first assessor.",
    )

    def __init__(self, *args, assessors, **kwargs):
        super().__init__(*args, **kwargs)
        # Each assessor reads as User.__str__ gives them: their name, or their email without one.
        self.fields["assessors"].queryset = assessors


class MarkingMoveForm(forms.Form):
    stage = forms.ChoiceField(choices=Marking.Stage.choices, label="Mark")
    assessor = forms.ModelChoiceField(queryset=None, label="Assessor")

    def __init__(self, *args, assessors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = assessors


class ResolveForm(forms.Form):
    result = _result_field("Outcome")
    feedback = _feedback_field(6)
    reason = forms.CharField(
        label="Why you decided it this way",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the outcome; the participant does not see it.",
    )
