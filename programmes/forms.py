from django import forms
from django.core.validators import MinValueValidator

from .models import Clinic, Course, Module, Programme

# DfE's NPQ course identifiers (shared/FUNDING.md); the funding rules know no others.
NPQ_COURSE_IDENTIFIERS = (
    "npq-headship",
    "npq-senior-leadership",
    "npq-executive-leadership",
    "npq-early-years-leadership",
    "npq-senco",
    "npq-leading-primary-mathematics",
    "npq-leading-literacy",
    "npq-leading-teaching",
    "npq-leading-teaching-development",
    "npq-leading-behaviour-culture",
    "npq-early-headship-coaching-offer",
    "npq-additional-support-offer",
)


class WholePoundsField(forms.IntegerField):
    """An amount in whole pounds where blank means 0 (free), so a form left as it was is
    unchanged."""

    def __init__(self, **kwargs):
        kwargs["required"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value) or 0


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "short_name",
            "slug",
            "course_identifier",
            "family",
            "for_early_years",
            "for_primary",
            "for_secondary",
            "summary",
            "who_for",
            "aims",
            "prerequisites",
            "participant_rules",
            "length",
            "length_months",
            "module_phase_days",
            "trn_asked",
            "delivery_model",
            "curriculum_rationale",
            "assessment",
            "assessment_word_limit",
            "assessment_criteria",
            "funding_summary",
            "default_fee",
            "content_source",
            "review_note",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "summary",
                "participant_rules",
                "review_note",
                "funding_summary",
                "assessment_criteria",
            )
        }
        help_texts = {"length_months": "Used to sort and compare programmes."}
        field_classes = {"default_fee": WholePoundsField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["module_phase_days"]
        days.required = False  # blank keeps what it was (for a new programme, the default)
        days.min_value = 1
        days.validators.append(MinValueValidator(1))
        days.widget.attrs["min"] = 1

    def clean_module_phase_days(self) -> int:
        return self.cleaned_data["module_phase_days"] or self.instance.module_phase_days

    def clean_course_identifier(self) -> str:
        identifier = self.cleaned_data["course_identifier"].strip().lower()
        if identifier and identifier not in NPQ_COURSE_IDENTIFIERS:
            raise forms.ValidationError(
                "Use one of DfE's NPQ course identifiers, e.g. npq-headship, or leave it blank "
                "for a programme that is not an NPQ."
            )
        taken = Programme.objects.filter(course_identifier=identifier).exclude(pk=self.instance.pk)
        if identifier and taken.exists():
            raise forms.ValidationError(
                f"{taken.get()} already has this identifier: each NPQ is one programme."
            )
        return identifier


class ProgrammeUpdateForm(ProgrammeForm):
    """Editing keeps the address: links, bookmarks and the catalogue loader rely on it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].disabled = True
        self.fields["slug"].help_text = "The address of its page; it cannot change."


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["kind", "number", "title", "delivery", "aims", "key_content"]
        widgets = {"aims": forms.Textarea(attrs={"rows": 3})}


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = ["title", "format", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class ClinicForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = ["title", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class ProgrammeRetireForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the programme, e.g. 'Replaced by the 2027 framework'.",
    )


class CatalogueFilterForm(forms.Form):
    """The public catalogue's filters; anything unexpected is ignored, not an error."""

    q = forms.CharField(required=False, label="Search", max_length=100)
    family = forms.ChoiceField(
        required=False, choices=[("", "All programmes"), *Programme.Family.choices]
    )
    phase = forms.ChoiceField(
        required=False,
        choices=[("", "Any phase"), *Programme.PHASE_LABELS.items()],
    )
