"""The reconciliation page: DfE's applications beside the portal's, and what staff do about
each difference (invite, create the application, remind, link, unlink, acknowledge, send a
decision made before the link), and "Sync now"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from applications.models import Application
from cohorts.models import Cohort
from npq_portal.numbers import whole_number
from npq_portal.outbox import outbox_enqueue

from ..forms import DfeApplicationCreateForm, DfeApplicationLinkForm, DisagreementAcknowledgeForm
from ..models import Connection, DfeApplication
from ..reconcile import (
    BUCKETS,
    LINKED_BUCKETS,
    application_create_from_dfe,
    application_remind_to_register,
    dfe_application_decision_send,
    dfe_application_invite,
    dfe_application_link,
    dfe_application_unlink,
    dfe_disagreement_acknowledge,
    dfe_only,
    dfe_only_extras,
    linked_rows,
    portal_only,
    portal_only_extras,
    recent_syncs,
    reconciliation_buckets,
    reconciliation_connections,
    reconciliation_filters,
    reconciliation_years_open,
)
from ..tasks import sync_all_task

PERMISSION = "dfe.exchange_with_dfe"
ALL_YEARS = "all"  # the year filter's value for every DfE cohort


class ReconciliationView(PermissionRequiredMixin, TemplateView):
    """DfE's applications and the portal's in four buckets (matched, only at DfE, only in the
    portal, disagreeing), filtered by DfE cohort and course, one bucket a page at a time."""

    permission_required = PERMISSION
    template_name = "dfe/reconciliation.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        connections = reconciliation_connections()
        years, courses = reconciliation_filters(connections)
        covered = [value for value, _ in years]
        # Unless a DfE cohort is chosen (or every one), those DfE still pays on are listed:
        # those whose contracts ended are history, and years of them would crowd the page.
        year = self.request.GET.get("year", "")
        years_open = reconciliation_years_open(connections)
        if year == ALL_YEARS or not covered:
            listed = None
        elif year == "" and set(covered) <= set(years_open):
            listed = None  # DfE still pays on every DfE cohort: nothing is left out
        elif (number := whole_number(year)) in covered:
            year, listed = number, [number]
        else:
            year, listed = "", years_open
        course = self.request.GET.get("course", "")
        course = course if course in dict(courses) else ""
        show = self.request.GET.get("show", "")
        show = show if show in BUCKETS else "disagreements"

        buckets = reconciliation_buckets(
            years=listed, course=course, show=show, connections=connections
        )
        if show == "matched":
            rows = buckets.matched
        elif show == "disagreements":
            rows = buckets.disagreements
        elif show == "dfe_only":
            rows = dfe_only(years=listed, course=course)
        else:
            rows = portal_only(years=listed, course=course, connections=connections)
        paginator = Paginator(rows, self.paginate_by)
        paginator.count = buckets.counts[show]  # counted for its tab already; not twice
        page = paginator.get_page(self.request.GET.get("page"))
        if show in LINKED_BUCKETS:
            page.object_list = linked_rows(page.object_list)
        elif show == "dfe_only":
            dfe_only_extras(page.object_list, connections)
        else:
            portal_only_extras(page.object_list)
        return super().get_context_data(
            show=show,
            tabs=[(key, label, buckets.counts[key]) for key, label in BUCKETS.items()],
            filters={"year": year, "course": course},
            years=years,
            all_years=ALL_YEARS,
            years_open=years_open,
            years_left_out=[
                label for value, label in years if year == "" and value not in years_open
            ],
            courses=courses,
            page_obj=page,
            paginator=paginator,
            is_paginated=page.has_other_pages(),
            rows=page.object_list,
            connections=connections,
            syncs=recent_syncs(connections),
            **kwargs,
        )


class _ActionView(PermissionRequiredMixin, View):
    """A POST on one record from the reconciliation page, then back to the page as it was."""

    permission_required = PERMISSION
    http_method_names = ["post"]

    def records(self):
        return DfeApplication.objects.all()

    def act(self, record) -> str:
        raise NotImplementedError

    def post(self, request, pk):
        record = get_object_or_404(self.records(), pk=pk)
        try:
            done = self.act(record)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return redirect(_back(request))


def _back(request) -> str:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("dfe:reconciliation")


class DfeApplicationInviteView(_ActionView):
    """Email someone registered with DfE, not in the portal, a link to apply."""

    def act(self, record) -> str:
        dfe_application_invite(dfe_application=record, by=self.request.user)
        return f"{record.full_name or 'The applicant'} has been invited to apply."


class DfeApplicationCreateView(_ActionView):
    """Make the portal's application for someone registered only with DfE, in the cohort
    staff chose, and link it to DfE's."""

    def act(self, record) -> str:
        form = DfeApplicationCreateForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Choose the cohort to make the application in.")
        cohort = Cohort.objects.filter(pk=form.cleaned_data["cohort"]).first()
        if cohort is None:
            raise ValidationError("Choose the cohort to make the application in.")
        application_create_from_dfe(dfe_application=record, cohort=cohort, by=self.request.user)
        return (
            f"{record.full_name or 'Their'} application is made in {cohort} and linked to "
            "DfE's; it waits in the review queue for a decision."
        )


class DfeApplicationLinkView(_ActionView):
    """Link a DfE application to the portal application staff chose among its candidates."""

    def act(self, record) -> str:
        form = DfeApplicationLinkForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Choose the portal application it is.")
        application = Application.objects.for_user(self.request.user).filter(
            pk=form.cleaned_data["application"]
        )
        if not application.exists():
            raise ValidationError("Choose the portal application it is.")
        dfe_application_link(
            dfe_application=record, application=application.get(), by=self.request.user
        )
        return f"DfE's application for {record.full_name or 'them'} is linked."


class DfeApplicationUnlinkView(_ActionView):
    """Unlink a DfE application from the portal's (the portal will not link it again)."""

    def act(self, record) -> str:
        dfe_application_unlink(dfe_application=record, by=self.request.user)
        return f"DfE's application for {record.full_name or 'them'} is unlinked."


class DisagreementAcknowledgeView(_ActionView):
    """Staff have seen one disagreement and leave both sides as they are."""

    def act(self, record) -> str:
        form = DisagreementAcknowledgeForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Choose what to acknowledge.")
        found = dfe_disagreement_acknowledge(
            dfe_application=record, kind=form.cleaned_data["kind"], by=self.request.user
        )
        return f"{found.label}: acknowledged for {record.full_name or 'them'}."


class DfeApplicationDecisionSendView(_ActionView):
    """Send DfE the portal's decision on an application decided before it was linked."""

    def act(self, record) -> str:
        dfe_application_decision_send(dfe_application=record, by=self.request.user)
        return (
            f"The portal's decision for {record.full_name or 'them'} is on its way to DfE; "
            "Changes owed to DfE shows when it is sent."
        )


class ApplicationRemindView(_ActionView):
    """Remind the teacher of a portal application DfE has not got to register with DfE."""

    def records(self):
        return Application.objects.for_user(self.request.user).select_related("applicant")

    def act(self, record) -> str:
        application_remind_to_register(application=record, by=self.request.user)
        return f"{record.applicant.get_full_name()} has been reminded to register with DfE."


class SyncNowView(PermissionRequiredMixin, View):
    """Pull from DfE now, in the background, rather than at the next scheduled pull."""

    permission_required = PERMISSION
    http_method_names = ["post"]

    def post(self, request):
        if not Connection.objects.switched_on().exists():
            messages.error(request, "Set up and switch on a DfE connection first.")
            return redirect(_back(request))
        with transaction.atomic():
            outbox_enqueue(sync_all_task)
        messages.success(
            request, "Pulling from DfE now. It takes a minute or two; reload the page to see it."
        )
        return redirect(_back(request))
