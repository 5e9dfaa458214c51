import copy
import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from npq_portal.forms import ModelChoicesField
from npq_portal.roles import ROLE_SPECS, Role
from programmes.models import Programme

from .academic_years import academic_year_label
from .models import (
    Cohort,
    DeliveryPartner,
    ModuleWindow,
    SchoolHoliday,
    Session,
    TermDateCalendar,
)
from .services import LONDON


def _facilitator_choices():
    """People holding the facilitator role."""
    group = ROLE_SPECS[Role.FACILITATOR].group_name
    return (
        get_user_model()
        .objects.filter(groups__in=Group.objects.filter(name=group))
        .order_by("last_name", "first_name")
    )


def https_urls(field, **kwargs):
    """Addresses typed without a scheme are https:// (Django 6's default, chosen now)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class DateInput(forms.DateInput):
    input_type = "date"


class CohortForm(forms.ModelForm):
    facilitators = ModelChoicesField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Cohort
        fields = [
            "programme",
            "name",
            "academic_year",
            "starts_on",
            "ends_on",
            "application_deadline",
            "delivery_partner",
            "venue",
            "online",
            "capacity",
            "fee",
            "funding_rules",
            "term_calendar",
            "facilitators",
        ]
        widgets = {
            "starts_on": DateInput,
            "ends_on": DateInput,
            "application_deadline": DateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilitators"].queryset = _facilitator_choices()
        self.fields["term_calendar"].empty_label = "The default calendar"
        # Offered programmes, and the cohort's own even if it has since been retired.
        self.fields["programme"].queryset = self.fields["programme"].queryset.filter(
            Q(status="offered") | Q(pk=self.instance.programme_id)
        )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        deadline = data.get("application_deadline")
        if starts and ends and starts >= ends:
            self.add_error("ends_on", "The cohort must end after it starts.")
        if deadline and starts and deadline > starts:
            self.add_error("application_deadline", "Applications must close by the start date.")
        year = data.get("academic_year")
        if (
            year
            and starts
            and not (datetime.date(year, 8, 1) <= starts <= datetime.date(year + 1, 7, 31))
        ):
            self.add_error(
                "starts_on",
                f"A {academic_year_label(year)} cohort starts in that school year.",
            )
        return data


class CohortStatusForm(forms.Form):
    to = forms.ChoiceField(choices=Cohort.Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, required=False)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if isinstance(value, datetime.datetime):
            return value.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
        return value


class SessionForm(forms.ModelForm):
    reason = forms.CharField(
        max_length=500,
        required=False,
        help_text="If you move a scheduled session, say why: the people booked are told.",
    )
    confirm_day = forms.BooleanField(
        required=False, label="Yes, save it on this day although it is not a teaching day"
    )

    class Meta:
        model = Session
        formfield_callback = https_urls
        fields = [
            "kind",
            "title",
            "course",
            "clinic",
            "starts_at",
            "ends_at",
            "venue",
            "online_link",
            "facilitator",
            "capacity",
        ]
        widgets = {"starts_at": LocalDateTimeInput, "ends_at": LocalDateTimeInput}
        help_texts = {"starts_at": "UK time.", "ends_at": "UK time."}

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.status != Session.Status.SCHEDULED:
            del self.fields["reason"]  # only a published session's move is explained
        if not self.data.get("confirm_day"):
            del self.fields["confirm_day"]  # offered once a day needs confirming
        self.fields["facilitator"].queryset = _facilitator_choices()
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M"]
        # Only the parts of this cohort's programme; a clinic may run on several dates.
        courses = self.fields["course"].queryset.filter(programme_id=cohort.programme_id)
        self.fields["course"].queryset = courses
        self.fields["clinic"].queryset = (
            self.fields["clinic"].queryset.filter(course__in=courses).select_related("course")
        )
        self.fields["clinic"].label_from_instance = lambda clinic: f"{clinic} ({clinic.course})"

    def ask_to_confirm_day(self) -> None:
        """Offer the box that says a weekend or holiday is meant (session_save refused it)."""
        self.fields["confirm_day"] = copy.deepcopy(self.base_fields["confirm_day"])

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and starts >= ends:
            self.add_error("ends_at", "The session must end after it starts.")
        clinic, course = data.get("clinic"), data.get("course")
        if clinic and course and clinic.course_id != course.pk:
            self.add_error("clinic", "This clinic belongs to another course.")
        elif clinic and not course:
            data["course"] = clinic.course
        return data


class SessionCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500, help_text="Kept with the session; the people booked are told."
    )


class ModuleWindowForm(forms.ModelForm):
    class Meta:
        model = ModuleWindow
        fields = ["opens_on", "study_due_on", "application_due_on"]
        widgets = {name: DateInput for name in fields}

    def clean(self):
        data = super().clean()
        dates = [data.get(name) for name in self.Meta.fields]
        if all(dates) and not dates[0] <= dates[1] <= dates[2]:
            raise forms.ValidationError(
                "A module opens, then its study is due, then its application."
            )
        return data


class TermDateCalendarForm(forms.ModelForm):
    class Meta:
        model = TermDateCalendar
        fields = ["name", "local_authority", "is_default", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class SchoolHolidayForm(forms.ModelForm):
    class Meta:
        model = SchoolHoliday
        fields = ["name", "starts_on", "ends_on"]
        widgets = {"starts_on": DateInput, "ends_on": DateInput}

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "A holiday ends on or after its first day.")
        return data


class DeliveryPartnerForm(forms.ModelForm):
    class Meta:
        model = DeliveryPartner
        formfield_callback = https_urls
        fields = ["name", "kind", "contact_name", "contact_email", "phone", "website", "region"]


class CohortFilterForm(forms.Form):
    programme = forms.ModelChoiceField(queryset=None, required=False, empty_label="All")
    academic_year = forms.TypedChoiceField(required=False, coerce=int, label="Year")
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Cohort.Status.choices])
    partner = forms.ModelChoiceField(
        queryset=DeliveryPartner.objects.all(), required=False, empty_label="All"
    )

    def __init__(self, *args, programmes, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["academic_year"].choices = [("", "All")] + [
            (year, academic_year_label(year)) for year in years
        ]

    @classmethod
    def for_cohorts(cls, data, *, cohorts) -> "CohortFilterForm":
        """The filters offered over `cohorts` (the person's scope): their programmes, years."""
        return cls(
            data or None,
            programmes=Programme.objects.filter(cohorts__in=cohorts).distinct().order_by("name"),
            years=cohorts.order_by("-academic_year")
            .values_list("academic_year", flat=True)
            .distinct(),
        )

    def filter(self, cohorts):
        """`cohorts` narrowed by the filters given; one that is not valid is left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return cohorts.matching(**{name: data.get(name) for name in self.fields})
