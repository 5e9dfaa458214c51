"""Forms of the DfE data exchange's pages: they check shape; the services decide."""

from django import forms

from .models import Connection

# ---- declarations and statements ----


class DeclarationFilterForm(forms.Form):
    """Which connection, cohort and list of declarations the page shows."""

    READY, SENT, REFUSED = "ready", "sent", "refused"

    connection = forms.ModelChoiceField(
        queryset=Connection.objects.none(), required=False, empty_label=None, label="Lead provider"
    )
    cohort = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Cohort")
    show = forms.ChoiceField(
        choices=[(READY, "Ready to send"), (SENT, "Sent"), (REFUSED, "Refused by DfE")],
        required=False,
    )

    def __init__(self, *args, connections, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        self.fields["cohort"].choices = [("", "Every cohort")] + [
            (cohort.pk, str(cohort)) for cohort in cohorts
        ]


class DeclarationVoidForm(forms.Form):
    reason = forms.CharField(max_length=1000, label="Why void it")
