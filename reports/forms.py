from django import forms

from cohorts.academic_years import academic_year_label


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
    academic_year = forms.TypedChoiceField(required=False, coerce=int, label="Year")
    programme = forms.ModelChoiceField(queryset=None, required=False, empty_label="All")
    show = forms.ChoiceField(required=False, choices=SHOW_CHOICES)

    def __init__(self, *args, cohorts, programmes, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].label_from_instance = lambda cohort: (
            f"{cohort.programme.short_name} {cohort.academic_year_label}, {cohort.name}"
        )
        self.fields["programme"].queryset = programmes
        self.fields["programme"].label_from_instance = lambda programme: programme.short_name
        self.fields["academic_year"].choices = [("", "All")] + [
            (year, academic_year_label(year)) for year in years
        ]
