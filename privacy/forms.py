from django import forms


class PersonEraseForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why, e.g. “Their request of 3 March 2026”. Do not write their name: this "
        "record is kept after everything else about them is gone.",
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone: their name, email, TRN and written work "
        "are removed for good, and they can no longer sign in.",
    )
