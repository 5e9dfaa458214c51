from django import forms

from cohorts.academic_years import academic_year_label
from npq_portal.model_choices import PlainChoices
from npq_portal.numbers import whole_number
from programmes.models import Programme

from .audit import person_label


class MilestoneFilterForm(forms.Form):
    """Narrows the milestone page: by cohort, year and programme, and by what is claimable."""

    CLAIMABLE = "claimable"
    DUE = "due"
    SHOW_CHOICES = [
        ("", "Every place"),
        (CLAIMABLE, "Claimable now"),
        (DUE, "Due by the next milestone, not yet supported"),
    ]

    cohort = forms.ModelChoiceField(queryset=None, required=False, empty_label="All")
    # With no year and no cohort chosen, the page lists the cohorts with a milestone still to
    # come: this year's work, however many years the portal holds.
    TO_COME = ""
    ALL_YEARS = "all"
    academic_year = forms.ChoiceField(required=False, label="Year")
    programme = forms.ModelChoiceField(queryset=None, required=False, empty_label="All")
    show = forms.ChoiceField(required=False, choices=SHOW_CHOICES)
    # DfE pays declarations on funded places: those are what the page lists unless asked.
    ALL_PLACES = "all"
    places = forms.ChoiceField(
        required=False,
        choices=[("", "Funded places only"), (ALL_PLACES, "Funded and not funded")],
        label="Places",
    )

    def __init__(self, *args, cohorts, cohort_options, programmes, years, **kwargs):
        """`cohorts()` gives those a chosen cohort may be; `cohort_options` are those listed
        (the chosen year's, or those with a milestone to come, and the chosen cohort), as
        pairs of id and name. `programmes` and `years`: those of `cohorts` (`choices_from`)."""
        super().__init__(*args, **kwargs)
        # What a chosen cohort or programme is checked against, made only when one is chosen:
        # the page is mostly asked for without.
        if self._chosen("cohort"):
            self.fields["cohort"].queryset = cohorts()
        # Its options are plain values (hundreds of cohorts made objects cost 10 ms), kept as
        # they are (PlainChoices).
        self.fields["cohort"].choices = PlainChoices([("", "All"), *cohort_options])
        if self._chosen("programme"):
            self.fields["programme"].queryset = Programme.objects.filter(
                pk__in=[pk for pk, _ in programmes]
            )
        self.fields["programme"].choices = [("", "All"), *programmes]
        self.fields["academic_year"].choices = [
            (self.TO_COME, "With a milestone to come"),
            (self.ALL_YEARS, "All years"),
        ] + [(year, academic_year_label(year)) for year in years]

    def _chosen(self, name: str) -> bool:
        return (
            self.is_bound
            and self.data.get(self.add_prefix(name)) not in self.fields[name].empty_values
        )

    @staticmethod
    def choices_from(rows) -> tuple[list[tuple[int, str]], list[int]]:
        """The form's `programmes` and `years` from rows of each cohort's programme id,
        programme short name and year, by programme name (reports.milestone_days
        `milestone_filter_choices`)."""
        programmes, years = {}, set()
        for pk, short_name, year in rows:
            programmes.setdefault(pk, short_name)
            years.add(year)
        return list(programmes.items()), sorted(years, reverse=True)

    @classmethod
    def year_chosen(cls, data) -> int | str:
        """The year `data` asks for before the form is made (its cohort options depend on it):
        a year, ALL_YEARS, or TO_COME for anything else; the form still checks it."""
        value = (data or {}).get("academic_year", cls.TO_COME)
        if value == cls.ALL_YEARS:
            return value
        year = whole_number(value)
        return cls.TO_COME if year is None else year


class AuditLogFilterForm(forms.Form):
    """Narrows the audit log: by words, kind, who made the change and between which dates."""

    PAGE_SIZES = [(25, "25"), (50, "50")]

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        help_text="Words in who made the change (name or email), what it was about, or why.",
    )
    kind = forms.ChoiceField(required=False, label="Kind")
    person = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Anyone", label="Changed by"
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    per_page = forms.TypedChoiceField(
        required=False, coerce=int, choices=PAGE_SIZES, empty_value=25, label="Per page"
    )

    def __init__(self, *args, kinds, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Every kind"), *kinds]
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = person_label

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The “From” date is after the “To” date.")
        return data
