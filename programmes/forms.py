from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q

from .models import Clinic, Course, Module, Prerequisite, Programme, ProgrammeGrant, RoleSlot

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


KEPT_WHEN_BLANK = ("participation", "priority", "team_leads_min")


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
            "participation",
            "team_leads_min",
            "completion_sessions",
            "completion_needs_action_plan",
            "commitment",
            "priority",
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
                "commitment",
            )
        } | {"participation": forms.RadioSelect, "priority": forms.RadioSelect}
        help_texts = {"length_months": "Used to sort and compare programmes."}
        field_classes = {"default_fee": WholePoundsField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["module_phase_days"]
        days.required = False  # blank keeps what it was (for a new programme, the default)
        days.min_value = 1
        days.validators.append(MinValueValidator(1))
        days.widget.attrs["min"] = 1
        # Left out, the Work Group set-up keeps what it was (for a new programme, the default).
        for name in KEPT_WHEN_BLANK:
            self.fields[name].required = False
        self.fields["team_leads_min"].min_value = 1
        self.fields["team_leads_min"].validators.append(MinValueValidator(1))
        self.fields["team_leads_min"].widget.attrs["min"] = 1

    def clean_module_phase_days(self) -> int:
        return self.cleaned_data["module_phase_days"] or self.instance.module_phase_days

    def clean_participation(self) -> str:
        participation = self.cleaned_data["participation"] or self.instance.participation
        changed = participation != self.instance.participation
        if (
            changed
            and self.instance.pk
            and Programme.objects.in_use().filter(pk=self.instance.pk).exists()
        ):
            raise forms.ValidationError(
                "People have already applied for its cohorts, so who takes part cannot change "
                "now: make a new programme for the other way of taking part."
            )
        return participation

    def clean_priority(self) -> str:
        return self.cleaned_data["priority"] or self.instance.priority

    def clean_team_leads_min(self) -> int:
        return self.cleaned_data["team_leads_min"] or self.instance.team_leads_min

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

    def clean(self):
        cleaned = super().clean()
        least = cleaned.get("team_leads_min")
        team = cleaned.get("participation") == Programme.Participation.SCHOOL_TEAM
        slots = self.instance.role_slots.filter(kind=RoleSlot.Kind.LEAD)
        if team and least and slots.exists():
            room = sum(slots.values_list("people", flat=True))
            if least > room:
                self.add_error(
                    "team_leads_min",
                    f"Its lead slots take only {room}: add a lead slot first, or ask for fewer.",
                )
        return cleaned


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


# ---- A Work Group's set-up: its role slots, prerequisites and grants ----


class RoleSlotForm(forms.ModelForm):
    class Meta:
        model = RoleSlot
        fields = ["position", "label", "kind", "required", "people", "hint"]
        labels = {"position": "Order"}
        help_texts = {"position": "Slots are asked in this order (1 first)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].min_value = 1
        self.fields["people"].validators.append(MinValueValidator(1))


class PrerequisiteForm(forms.ModelForm):
    class Meta:
        model = Prerequisite
        fields = ["position", "kind", "programmes", "or_previous", "junior_schools_exempt"]
        labels = {"position": "Order", "kind": "The school", "programmes": "Programmes"}
        help_texts = {"position": "Conditions are checked in this order (1 first)."}
        widgets = {"programmes": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.instance.programmes.all() if self.instance.pk else Programme.objects.none()
        self.fields["programmes"].queryset = Programme.objects.filter(
            Q(family=Programme.Family.MATHS_HUB) | Q(pk__in=chosen)
        ).order_by("name")
        self.fields["programmes"].label_from_instance = lambda programme: programme.name


class ProgrammeGrantForm(forms.ModelForm):
    class Meta:
        model = ProgrammeGrant
        fields = ["academic_year", "amount", "purpose"]
        labels = {"academic_year": "School year"}


SET_UP_FORMS = {
    RoleSlot: RoleSlotForm,
    Prerequisite: PrerequisiteForm,
    ProgrammeGrant: ProgrammeGrantForm,
}


def set_up_formset(model, *, programme: Programme, data=None):
    """The formset for one part of a Work Group's set-up: each row it has, and two blank ones."""
    formset_class = forms.modelformset_factory(
        model, form=SET_UP_FORMS[model], extra=2, can_delete=True
    )
    queryset = model.objects.filter(programme=programme)
    initial = None
    if model is not ProgrammeGrant:  # a new slot or condition goes last unless moved
        queryset = queryset.prefetch_related("programmes") if model is Prerequisite else queryset
        last = max((row.position for row in queryset), default=-1)
        initial = [{"position": last + 1}, {"position": last + 2}]
    return formset_class(
        data=data, queryset=queryset, initial=initial, prefix=model._meta.model_name
    )


def set_up_entries(formset) -> list[dict]:
    """What staff asked for, a dict a row, for the set-up services: `id` is the row changed
    (None for a new one), `delete` whether to delete it; blank new rows are left out."""
    entries = []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        entry = dict(form.cleaned_data)
        entry.pop("id", None)
        entry["delete"] = bool(entry.pop("DELETE", False))
        entry["id"] = form.instance.pk
        entries.append(entry)
    return entries
