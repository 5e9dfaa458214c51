"""Declarations to DfE (ready, sent, refused; submit and void) and DfE's statements."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View

from npq_portal.numbers import whole_number
from npq_portal.prepared import fixed_rows
from programmes.models import Programme
from reports.milestones import LABELS

from ..connection import switched_on_connections
from ..declarations import (
    CLAIMED_STATES,
    CLAWBACK_STATES,
    VOIDABLE_STATES,
    connection_cohorts,
    covered_read,
    covered_scope,
    declaration_void,
    declaration_years_open,
    declarations_ready,
    declarations_ready_keys,
    declarations_submit_all,
    declarations_with_void_pending,
    ready_declarations,
)
from ..forms import DeclarationFilterForm, DeclarationVoidForm
from ..models import Connection, Declaration, Statement
from ..ready_counts import sent_and_refused, sent_counts

PERMISSION = "dfe.exchange_with_dfe"


def _connection(request) -> tuple[Connection | None, list[Connection]]:
    """The connection the page is about (`?connection=`, else the first switched on), and
    every one switched on, by name (one fixed query)."""
    connections = switched_on_connections()
    chosen = request.GET.get("connection") or request.POST.get("connection")
    if chosen:
        pk = whole_number(chosen)
        found = [connection for connection in connections if connection.pk == pk]
        if not found:
            raise Http404("No such DfE connection.")
        return found[0], connections
    return next(iter(connections), None), connections


def _course_names() -> dict[str, str]:
    return dict(fixed_rows(_courses))


def _courses():
    return Programme.objects.exclude(course_identifier="").values_list("course_identifier", "name")


def _scope(connection, value: str | None) -> tuple[list[int] | None, list[int]]:
    """(the DfE cohorts whose ready declarations are listed, None for every one; those DfE
    still pays on). Raises Http404 for a year the connection does not cover."""
    years_open = declaration_years_open(connection)
    try:
        years = DeclarationFilterForm.years_chosen(
            value, years=connection.cohort_years, years_open=years_open
        )
    except ValueError:
        raise Http404("No such DfE cohort.") from None
    return years, years_open


def _filters(request, connection, connections):
    """The form, the cohort chosen and the DfE cohorts listed (None: every one)."""
    if connection is None:
        filters = DeclarationFilterForm(request.GET or None, connections=connections)
        filters.is_valid()
        return filters, None, None
    years, years_open = _scope(connection, request.GET.get("year"))
    chosen = request.GET.get("cohort") or ""
    cohort = None
    if chosen:  # the connection's cohorts' query composed only then (it cost a third of a ms)
        cohort = connection_cohorts(connection).filter(pk=whole_number(chosen) or 0).first()
        if cohort is None:
            raise Http404("No such cohort.")
    # The options are the listed years' cohorts on the Ready tab (every cohort on the others,
    # which list what was sent in any year), and the one chosen, read as plain values:
    # hundreds of cohorts made objects cost 10 ms.
    ready_tab = request.GET.get("show", "") in ("", DeclarationFilterForm.READY)
    filters = DeclarationFilterForm(
        request.GET or None,
        connections=connections,
        years=sorted(connection.cohort_years),
        years_open=years_open,
        cohorts=_cohort_options(
            connection,
            years if ready_tab else None,
            None if cohort is None else cohort.pk,
        ),
    )
    filters.is_valid()
    return filters, cohort, years


def _cohort_options(
    connection: Connection, years: list[int] | None, chosen: int | None
) -> list[tuple[int, str]]:
    """The cohort filter's options: the connection's cohorts (those of `years` when given, and
    the one `chosen`), latest year first, then by programme and name, as (id, name): one fixed
    query (composing it cost more than running it)."""
    if years is None:
        chosen = None  # listed with every cohort already
    elif not years and chosen is None:
        return []
    return covered_read(_options_of, connection, years, chosen)


def _options_of(shape: tuple, connection_pk: int, *args: int):
    cohorts, years, chosen = covered_scope(shape, connection_pk, args)
    if years is not None:
        shown = Q(academic_year__in=years)
        if chosen is not None:
            shown |= Q(pk=chosen)
        cohorts = cohorts.filter(shown)
    order = ("-academic_year", "programme__name", "name")
    return cohorts.order_by(*order).values_list("pk", "name")


class DeclarationListView(PermissionRequiredMixin, TemplateView):
    """The declarations the evidence lets the hub claim from DfE, to review and send; those
    sent, with DfE's state and a void form; and those DfE refused, with its reason."""

    permission_required = PERMISSION
    template_name = "dfe/declaration_list.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        connection, connections = _connection(self.request)
        filters, cohort, years = _filters(self.request, connection, connections)
        show = filters.cleaned_data.get("show") if filters.is_bound else ""
        show = show or DeclarationFilterForm.READY
        context = {
            "connection": connection,
            "filters": filters,
            "cohort": cohort,
            "show": show,
            "year": self.request.GET.get("year") or "",
        }
        if connection is None:
            return super().get_context_data(**context, **kwargs)

        sent = Declaration.objects.filter(connection=connection)
        if cohort is not None:
            sent = sent.filter(enrolment__cohort=cohort)
            counts = sent_and_refused(sent)
        else:  # every year's: kept (dfe/ready_counts.py)
            counts = sent_counts(connection)
        # What is ready takes every place's evidence: worked out only for the tab that shows it.
        counts["ready"] = counts["blocked"] = None
        courses = _course_names()
        if show == DeclarationFilterForm.READY:
            rows = declarations_ready_keys(connection=connection, cohort=cohort, years=years)
            if cohort is None and years is not None:  # what the default leaves out, in words
                context["years_listed"] = years
                context["years_left_out"] = sorted(set(connection.cohort_years) - set(years))
            # The page asked for is read with the counts, in one query; the paginator reads
            # them from there (a page past the end costs one more).
            number = self.request.GET.get("page") or "1"
            number = whole_number(number) or 1
            rows.page((number - 1) * self.paginate_by, number * self.paginate_by)
            total, counts["ready"] = rows.counts()
            counts["blocked"] = total - counts["ready"]
        else:
            refused = show == DeclarationFilterForm.REFUSED
            rows = declarations_with_void_pending(
                sent.filter(state=Declaration.State.REFUSED)
                if refused
                else sent.exclude(state=Declaration.State.REFUSED)
            ).select_related(
                "enrolment__participant", "enrolment__cohort__programme", "dfe_application"
            )
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        if show == DeclarationFilterForm.READY:  # only the page's are made what would be sent
            page.object_list = ready_declarations(
                connection=connection, keys=page.object_list, listing=True
            )
        for row in page.object_list:
            row.course_label = courses.get(row.course_identifier, row.course_identifier)
            if isinstance(row, Declaration):
                row.type_label = LABELS.get(row.declaration_type, row.declaration_type)
                row.voidable = row.state in VOIDABLE_STATES and not row.void_pending
        context.update(
            counts=counts,
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            void_form=DeclarationVoidForm(),
        )
        return super().get_context_data(**context, **kwargs)


class DeclarationSubmitView(PermissionRequiredMixin, View):
    """Send DfE the ready declarations chosen (or every ready one), after a page showing
    exactly what will be sent."""

    permission_required = PERMISSION
    http_method_names = ["post"]

    def post(self, request):
        connection, connections = _connection(request)
        if connection is None:
            raise Http404("No DfE connection is switched on.")
        cohort = None
        if request.POST.get("cohort"):
            cohort = get_object_or_404(
                connection_cohorts(connection).select_related("programme"),
                pk=whole_number(request.POST["cohort"]) or 0,
            )
        year = request.POST.get("year") or ""
        years, _ = _scope(connection, year)
        every = request.POST.get("all") == "1"
        keys = None if every else request.POST.getlist("selected")
        back = reverse("dfe:declaration-list") + f"?connection={connection.pk}"
        if cohort is not None:
            back += f"&cohort={cohort.pk}"
        if year:
            back += f"&year={year}"
        if keys is not None and not keys:
            messages.error(request, "Choose the declarations to send, or send every ready one.")
            return redirect(back)
        if request.POST.get("confirm") != "1":
            wanted = set(keys or ())
            rows = [
                item
                for item in declarations_ready(connection=connection, cohort=cohort, years=years)
                if item.ready and (every or item.key in wanted)
            ]
            courses = _course_names()
            for row in rows:
                row.course_label = courses.get(row.course_identifier, row.course_identifier)
            return render(
                request,
                "dfe/declaration_submit.html",
                {
                    "connection": connection,
                    "cohort": cohort,
                    "year": year,
                    "rows": rows,
                    "every": every,
                    "back": back,
                },
            )
        counts = declarations_submit_all(
            connection=connection, by=request.user, keys=keys, cohort=cohort, years=years
        )
        sent = counts["sent"]
        messages.success(
            request,
            f"{sent} declaration{'' if sent == 1 else 's'} sent to DfE. "
            "Each shows DfE's state under Sent once DfE has answered.",
        )
        skipped = counts["not_sent"] + counts["blocked"] + counts["missing"]
        if skipped:
            messages.warning(
                request,
                f"{skipped} not sent: sent meanwhile, no longer supported by the evidence, "
                "or waiting for a delivery partner to be chosen.",
            )
        return redirect(back + "&show=sent")


class DeclarationVoidView(PermissionRequiredMixin, View):
    """Ask DfE to void a declaration it holds, with the reason; then back to the list."""

    permission_required = PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        declaration = get_object_or_404(Declaration.objects.all(), pk=pk)
        back = request.POST.get("next") or reverse("dfe:declaration-list") + "?show=sent"
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("dfe:declaration-list") + "?show=sent"
        form = DeclarationVoidForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why the declaration is being voided.")
            return redirect(back)
        try:
            declaration_void(
                declaration=declaration, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))  # nothing was changed; say why
        else:
            messages.success(request, "Voiding sent to DfE; the state shows DfE's answer.")
        return redirect(back)


class StatementListView(PermissionRequiredMixin, TemplateView):
    """DfE's statements for each cohort, what each pays and claws back, and the totals."""

    permission_required = PERMISSION
    template_name = "dfe/statement_list.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        connection, connections = _connection(self.request)
        context = {"connection": connection, "connections": connections}
        if connection is None:
            return super().get_context_data(**context, **kwargs)
        declarations = Declaration.objects.filter(connection=connection)
        totals = declarations.aggregate(
            claimed=Count("pk", filter=Q(state__in=CLAIMED_STATES)),
            payable=Count("pk", filter=Q(state="payable")),
            paid=Count("pk", filter=Q(state="paid")),
            clawed_back=Count("pk", filter=Q(state__in=CLAWBACK_STATES)),
        )
        statements = Statement.objects.filter(connection=connection).order_by(
            "-cohort_year", "payment_date", "pk"
        )
        page = Paginator(statements, self.paginate_by).get_page(self.request.GET.get("page"))
        ids = [statement.dfe_id for statement in page.object_list]
        paying: dict = {}
        for row in (
            declarations.filter(statement_id__in=ids)
            .values("statement_id", "declaration_type")
            .annotate(count=Count("pk"))
            .order_by("statement_id", "declaration_type")
        ):
            paying.setdefault(row["statement_id"], {})[row["declaration_type"]] = row["count"]
        clawbacks = dict(
            declarations.filter(clawback_statement_id__in=ids)
            .values("clawback_statement_id")
            .annotate(count=Count("pk"))
            .values_list("clawback_statement_id", "count")
        )
        for statement in page.object_list:
            by_type = paying.get(statement.dfe_id, {})
            statement.by_type = [
                (label, by_type[code]) for code, label in LABELS.items() if code in by_type
            ]
            statement.declarations = sum(by_type.values())
            statement.clawbacks = clawbacks.get(statement.dfe_id, 0)
        context.update(
            totals=totals,
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
        )
        return super().get_context_data(**context, **kwargs)
