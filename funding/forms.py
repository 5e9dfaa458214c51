"""The funding pages' forms: eligibility lists, childcare providers, the what-changes report."""

from django import forms

from npq_portal.uploads import refuse_unless_csv
from schools.models import EligibilityList


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


class EligibilityListsCurrentFromForm(forms.Form):
    current_from = forms.DateField(
        label="Lists are current from",
        help_text="A list uploaded before this date counts as out of date until replaced.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


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
