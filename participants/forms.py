from django import forms

from .gias import ENCODING
from .models import EligibilityList

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # the national extract is about 60 MB


class GiasUploadForm(forms.Form):
    file = forms.FileField(
        label="GIAS establishment extract",
        help_text="The edubasealldata file as downloaded from Get Information About Schools "
        "(CSV, Windows-1252). The whole file is checked before anything is imported.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 200 MB: is it the right one?")
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
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB: is it the right one?")
        if b"\x00" in upload.read(4096):
            raise forms.ValidationError("This is not a CSV file.")
        upload.seek(0)
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
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 50 MB: is it the right one?")
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
