"""Forms of the DfE data exchange's pages. They check shape; dfe.connection decides."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from cohorts.academic_years import academic_year_label
from npq_portal.numbers import whole_number
from programmes.models import Programme

from .connection import (
    ENV_VAR_NAME,
    ENV_VAR_RULE,
    FIRST_COHORT_YEAR,
    connection_addresses,
    connection_programme_ids,
)
from .models import FAKE_URL, PRODUCTION_URL, SANDBOX_URL, Connection

# ---- Connection settings ----


class ConnectionForm(forms.ModelForm):
    """A connection's settings; the token is written, never read back."""

    address = forms.ChoiceField(label="API address", widget=forms.RadioSelect, initial=SANDBOX_URL)
    token = forms.CharField(
        label="API token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="The token DfE emailed the lead provider. It is stored encrypted and never "
        "shown again; leave this empty to keep the stored one.",
    )
    clear_token = forms.BooleanField(label="Remove the stored token", required=False)
    cohort_years = forms.TypedMultipleChoiceField(
        label="DfE cohorts",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The DfE cohorts (by the year they start) this lead provider funds here.",
    )
    programmes = forms.ModelMultipleChoiceField(
        label="Programmes",
        queryset=Programme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The NPQs delivered for this lead provider. Only programmes with a DfE course "
        "identifier are listed.",
    )

    class Meta:
        model = Connection
        # `programmes` is the form's own field (saved by connection_save, never by the form):
        # its initial ids are read by a fixed query, not by the model's related manager.
        fields = ["name", "token_env_var", "enabled", "cohort_years"]
        labels = {"name": "Lead provider"}
        help_texts = {
            "token_env_var": "Instead of storing the token: the name of the environment "
            "variable holding it, which starts with DFE_TOKEN_ and has only capital letters, "
            "digits and underscores, e.g. DFE_TOKEN_AMBITION."
        }

    field_order = [
        "name",
        "address",
        "token",
        "clear_token",
        "token_env_var",
        "cohort_years",
        "programmes",
        "enabled",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        labels = {
            SANDBOX_URL: "DfE's sandbox, to try things out",
            PRODUCTION_URL: "DfE's production service",
            FAKE_URL: "The demo's fake DfE, on this machine",
        }
        self.fields["address"].choices = [
            (address, labels[address]) for address in connection_addresses()
        ]
        years = set(range(FIRST_COHORT_YEAR, timezone.localdate().year + 2))
        years |= {int(year) for year in instance.cohort_years or []}
        self.fields["cohort_years"].choices = [
            (year, academic_year_label(year)) for year in sorted(years)
        ]
        # Only what a choice shows (`Programme.__str__`): not the catalogue's pages of text.
        self.fields["programmes"].queryset = (
            Programme.objects.exclude(course_identifier="")
            .order_by("name")
            .only("name", "short_name")
        )
        if instance.pk:
            self.initial.setdefault("programmes", connection_programme_ids(instance.pk))
            base = instance.base_url.rstrip("/").removesuffix("/api/v3")
            if base in labels:
                self.initial["address"] = base
        if not instance.token_encrypted:
            del self.fields["clear_token"]
        if instance.token_encrypted:
            self.fields["token"].help_text = (
                "A token is stored (it is never shown). Enter a new one to replace it; leave "
                "this empty to keep it. Changing the address removes the stored token: enter "
                "the token for the new address in the same save."
            )

    def clean_token_env_var(self):
        name = self.cleaned_data["token_env_var"].strip()
        if name and not ENV_VAR_NAME.match(name):
            raise forms.ValidationError(ENV_VAR_RULE)
        return name

    def clean(self):
        data = super().clean()
        if data.get("address"):
            self.instance.base_url = data["address"]
        if data.get("token") and data.get("token_env_var"):
            self.add_error(
                "token_env_var",
                "Give either the token or the name of the environment variable holding it, "
                "not both.",
            )
        return data


class DeliveryPartnerForm(forms.Form):
    """Which of DfE's delivery partners stands for the hub in one DfE cohort."""

    cohort_year = forms.IntegerField(widget=forms.HiddenInput)
    partner_id = forms.ChoiceField(label="Delivery partner")

    def __init__(self, *args, partners: list[dict], cohort_year: int, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_id"].choices = [("", "Choose a delivery partner")] + [
            (partner["id"], partner["name"])
            for partner in partners
            if cohort_year in partner["cohorts"]
        ]
        self.fields["partner_id"].label = f"Delivery partner for the {cohort_year} cohort"
        self.initial.setdefault("cohort_year", cohort_year)
        if current is not None:
            self.initial.setdefault("partner_id", str(current.delivery_partner_id))
        self.auto_id = f"id_{cohort_year}_%s"


# ---- The sync log ----


class CallFilterForm(forms.Form):
    """Narrows the sync log: by connection, to failures, to one day."""

    connection = forms.ModelChoiceField(
        queryset=Connection.objects.order_by("name"),
        required=False,
        empty_label="Every connection",
        label="Connection",
    )
    failures = forms.BooleanField(required=False, label="Failures only")
    day = forms.DateField(
        required=False, label="Day", widget=forms.DateInput(attrs={"type": "date"})
    )


# ---- declarations and statements ----


class DeclarationFilterForm(forms.Form):
    """Which connection, DfE cohorts, cohort and list of declarations the page shows."""

    READY, SENT, REFUSED = "ready", "sent", "refused"
    # Unless a year or cohort is chosen, what is ready is listed for the DfE cohorts DfE still
    # pays on (`declaration_years_open`): however many years the portal holds.
    STILL_PAID, ALL_YEARS = "", "all"

    connection = forms.TypedChoiceField(coerce=int, required=False, label="Lead provider")
    year = forms.ChoiceField(required=False, label="DfE cohort")
    cohort = forms.IntegerField(required=False, min_value=1, label="Cohort")
    show = forms.ChoiceField(
        choices=[(READY, "Ready to send"), (SENT, "Sent"), (REFUSED, "Refused by DfE")],
        required=False,
    )

    def __init__(self, *args, connections, years=(), years_open=(), cohorts=(), **kwargs):
        """`connections`: those switched on, by name (a list); `years`: the DfE cohorts the
        connection covers, `years_open` those DfE still pays on; `cohorts`: the cohorts to
        choose from, as (id, name)."""
        super().__init__(*args, **kwargs)
        # A connection chosen is one of those listed (read once by the page): by its id.
        self.connections = list(connections)
        self.fields["connection"].choices = [(c.pk, c.name) for c in self.connections]
        still_paid = ", ".join(str(year) for year in years_open) or "none"
        self.fields["year"].choices = [
            (self.STILL_PAID, f"Those DfE still pays on ({still_paid})"),
            (self.ALL_YEARS, "Every DfE cohort"),
        ] + [(str(year), str(year)) for year in years]
        self.cohort_choices = list(cohorts)
        self.cohort_options = [("", "Every cohort"), *self.cohort_choices]

    @classmethod
    def years_chosen(cls, value: str | None, *, years, years_open) -> list[int] | None:
        """The DfE cohorts `value` asks for (None: every one). Raises ValueError if the
        connection does not cover it."""
        value = value or cls.STILL_PAID
        if value == cls.STILL_PAID:
            return list(years_open)
        if value == cls.ALL_YEARS:
            return None
        year = whole_number(value)
        if year not in years:
            raise ValueError(value)
        return [year]


class DeclarationVoidForm(forms.Form):
    reason = forms.CharField(max_length=1000, label="Why void it")


# ---- reconciliation ----


class DfeApplicationLinkForm(forms.Form):
    """Which portal application a DfE application is (one of its candidates)."""

    application = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose the portal application it is."}
    )


class DfeApplicationCreateForm(forms.Form):
    """The cohort to make the portal's application in, for someone registered only with DfE."""

    cohort = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose the cohort to make the application in."}
    )


class DisagreementAcknowledgeForm(forms.Form):
    """Which of a linked application's disagreements staff have seen."""

    kind = forms.CharField(max_length=20)
