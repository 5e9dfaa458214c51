"""The connection to DfE: the DfE area's home, a connection's settings, testing it, and the
delivery partner that stands for the hub in each DfE cohort.

The home lists the connections for everyone who exchanges with DfE; setting a connection up
(its token above all) is for those who may manage it.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import CreateView, ListView, TemplateView, UpdateView, View

from dfe.client import DfeError
from dfe.connection import (
    connection_save,
    connection_test,
    connection_with_last_pull,
    delivery_partner_set,
    delivery_partners_fetch,
)
from dfe.forms import ConnectionForm, DeliveryPartnerForm
from dfe.models import Connection

MANAGE = "dfe.manage_dfe_connection"


class ConnectionListView(PermissionRequiredMixin, ListView):
    """The DfE area's home: each connection, how it stands, and the DfE pages."""

    permission_required = "dfe.exchange_with_dfe"
    template_name = "dfe/connection_list.html"
    paginate_by = 25

    def get_queryset(self):
        return Connection.objects.with_last_pull().order_by("name")


class ConnectionFormMixin:
    permission_required = MANAGE
    model = Connection
    form_class = ConnectionForm
    template_name = "dfe/connection_form.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = connection_save(
                connection=form.instance,
                token=data.get("token") or "",
                clear_token=bool(data.get("clear_token")),
                programmes=data["programmes"],
            )
        except ValidationError as error:
            form.add_error(None, error)  # nothing was saved; say why
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object} saved.")
        return redirect(self.object)


class ConnectionCreateView(ConnectionFormMixin, PermissionRequiredMixin, CreateView):
    """Set up the connection to DfE for one lead provider."""


class ConnectionUpdateView(ConnectionFormMixin, PermissionRequiredMixin, UpdateView):
    """A connection's settings, its last test and the button to test it again."""

    def get_object(self, queryset=None):
        connection = connection_with_last_pull(self.kwargs["pk"])
        if connection is None:
            raise Http404("No such connection.")
        return connection


class ConnectionTestView(PermissionRequiredMixin, View):
    """Ask DfE whether the connection works (POST only); say what happened."""

    permission_required = MANAGE
    http_method_names = ["post"]

    def post(self, request, pk):
        connection = get_object_or_404(Connection, pk=pk)
        ok, message = connection_test(connection=connection)
        (messages.success if ok else messages.error)(request, message)
        return redirect(connection)


class DeliveryPartnersView(PermissionRequiredMixin, TemplateView):
    """For each DfE cohort of a connection, the delivery partner chosen and a form to choose
    one of those DfE lists. Each POST asks DfE again, so the choice is one DfE lists now."""

    permission_required = MANAGE
    template_name = "dfe/delivery_partners.html"

    def _fetch(self) -> None:
        """Find the connection (once the permission is checked) and ask DfE for its list."""
        self.object = get_object_or_404(Connection, pk=self.kwargs["pk"])
        self.partners, self.unreachable = None, ""
        try:
            self.partners = delivery_partners_fetch(connection=self.object)
        except (DfeError, ValidationError) as error:
            messages_ = error.messages if isinstance(error, ValidationError) else [str(error)]
            self.unreachable = " ".join(messages_)

    def get(self, request, *args, **kwargs):
        self._fetch()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        self._fetch()
        if self.partners is None:
            return self.render_to_response(self.get_context_data())
        try:
            cohort_year = int(request.POST.get("cohort_year", ""))
        except ValueError:
            cohort_year = None
        if cohort_year not in self.object.cohort_years:
            messages.error(
                request, "Choose a delivery partner for one of the connection's cohorts."
            )
            return redirect("dfe:delivery-partners", pk=self.object.pk)
        form = DeliveryPartnerForm(request.POST, partners=self.partners, cohort_year=cohort_year)
        if form.is_valid():
            try:
                link = delivery_partner_set(
                    connection=self.object,
                    cohort_year=cohort_year,
                    partner_id=form.cleaned_data["partner_id"],
                    partners=self.partners,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{link.name} stands for the hub in {cohort_year}.")
                return redirect("dfe:delivery-partners", pk=self.object.pk)
        return self.render_to_response(self.get_context_data(invalid={cohort_year: form}))

    def get_context_data(self, invalid=None, **kwargs):
        context = super().get_context_data(**kwargs)
        links = {link.cohort_year: link for link in self.object.delivery_partners.all()}
        rows = []
        for year in self.object.cohort_years:
            form = None
            if self.partners is not None:
                form = (invalid or {}).get(year) or DeliveryPartnerForm(
                    partners=self.partners, cohort_year=year, current=links.get(year)
                )
            rows.append({"year": year, "link": links.get(year), "form": form})
        context.update(object=self.object, rows=rows, unreachable=self.unreachable)
        return context
