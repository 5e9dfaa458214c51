"""Forms about schools: the GIAS upload, choosing a school by name or URN, confirming a leader."""

import re

from django import forms

from npq_portal.uploads import refuse_unless_csv

from .gias import ENCODING
from .models import LocalAuthority, School


class GiasUploadForm(forms.Form):
    file = forms.FileField(
        label="GIAS establishment extract",
        help_text="The edubasealldata file as downloaded from Get Information About Schools "
        "(CSV, Windows-1252). The whole file is checked before anything is imported.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refuse_unless_csv(upload, limit="gias")
        first_line = upload.read(65536).split(b"\n", 1)[0].decode(ENCODING, errors="replace")
        upload.seek(0)
        if "URN" not in first_line or "EstablishmentName" not in first_line:
            raise forms.ValidationError(
                "This is not a GIAS establishment extract: its first line has no URN and "
                "EstablishmentName columns."
            )
        return upload


class SchoolChoiceField(forms.CharField):
    """A school typed or picked from the search list ("Name, Town (URN 123456)"), or a URN."""

    def clean(self, value):

        value = super().clean(value)
        if not value:
            return None
        match = re.search(r"\(URN (\d{5,7})\)\s*$", value) or re.fullmatch(
            r"\s*(\d{5,7})\s*", value
        )
        school = School.objects.filter(urn=int(match.group(1))).first() if match else None
        if school is None:
            raise forms.ValidationError(
                "Choose your school from the list as you type, enter its URN, or leave this blank."
            )
        return school


class SchoolLeaderForm(forms.Form):
    email = forms.EmailField(
        label="Their email address",
        help_text="They need a verified account with this address.",
    )


class HubAreaForm(forms.Form):
    """The local authorities the hub serves: engagement is reported on their schools."""

    local_authorities = forms.ModelMultipleChoiceField(
        queryset=LocalAuthority.objects.order_by("name"),
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        label="Local authorities in the hub's area",
        help_text="Tick each local authority whose schools the hub serves; untick one it no "
        "longer serves.",
    )


class ProgrammeHistoryUploadForm(forms.Form):
    file = forms.FileField(
        label="Schools' earlier Work Group years",
        help_text="A CSV file whose first row names the columns URN, Programme, School year "
        "(e.g. 2024/25) and Completed (yes or no). The programme is its name, short name or "
        "address, as in the catalogue.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refuse_unless_csv(upload, limit="eligibility_list")
        return upload
