"""Forms of the DfE data exchange's pages: they check shape; the services decide."""

from django import forms


class DfeApplicationLinkForm(forms.Form):
    """Which portal application a DfE application is (one of its candidates)."""

    application = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose the portal application it is."}
    )


class DisagreementAcknowledgeForm(forms.Form):
    """Which of a linked application's disagreements staff have seen."""

    kind = forms.CharField(max_length=20)
