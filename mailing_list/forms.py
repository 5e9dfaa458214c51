"""The mailing list's forms: signing up and changing the programmes of interest."""

from django import forms

from npq_portal.forms import ModelChoicesField
from programmes.models import Programme
from schools.forms import SchoolChoiceField

from .services import CONSENT_TEXT


class SubscribeForm(forms.Form):
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(label="Email address")
    school = SchoolChoiceField(
        required=False,
        label="Your school (optional)",
        help_text="Start typing its name, town or postcode and choose it from the list.",
    )
    programmes = ModelChoicesField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Which programmes would you like to hear about?",
        error_messages={"required": "Choose at least one programme."},
    )
    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        error_messages={"required": "Tick the box to agree, so we may email you."},
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = Programme.objects.offered().in_catalogue_order()
        self.fields["programmes"].label_from_instance = lambda programme: programme.name
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["school"].widget.attrs.update(
            {"data-school-search": "", "list": "school-options", "autocomplete": "off"}
        )


class SubscriberInterestsForm(forms.Form):
    programmes = ModelChoicesField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Which programmes would you like to hear about?",
        error_messages={"required": "Choose at least one programme, or unsubscribe below."},
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = Programme.objects.offered().in_catalogue_order()
        self.fields["programmes"].label_from_instance = lambda programme: programme.name
