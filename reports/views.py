"""Dashboards, reports and exports."""

import logging
import traceback
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from applications.selectors import review_filter_options
from cohorts.academic_years import academic_year_label
from cohorts.models import sees_every_cohort
from cohorts.selectors import cohort_seen_by
from funding.selectors import funding_list_warnings
from npq_portal.numbers import whole_number
from npq_portal.paging import CappedPaginator
from npq_portal.prepared import fixed_objects
from npq_portal.roles import Role, user_roles
from participants.models import GrantClaim
from participants.services import (
    grant_claim_cancel,
    grant_claim_mark_claimed,
    grant_claim_mark_paid,
)
from programmes.models import Programme

from .audit import (
    AUDIT_SOURCES,
    AuditFilters,
    audit_log_entries,
    audit_log_people,
    audit_log_rows,
)
from .cohort_report import cohort_report
from .dashboard import DashboardFilters, dashboard_figures_lazily
from .datasets import DATASETS, export_contents, filters_described
from .engagement import (
    hub_area_page,
    roster_choice,
    roster_dates,
    roster_standing_kept,
    team_programmes,
    work_group_years,
)
from .forms import AuditLogFilterForm, MilestoneFilterForm
from .grants import GRANT_FILTERS, GrantClaimList
from .milestone_days import (
    PAGE_PLACES,
    MilestoneCohorts,
    MilestoneListing,
    PlacesInOrder,
    kept_status,
    milestone_cohort_options,
    milestone_counted,
    milestone_filter_choices,
    milestone_listing_kept,
    milestone_page_places,
    milestone_to_come_since,
    milestone_totals,
)
from .milestones import DECLARATIONS, LABELS, DeclarationState, MilestoneStatus
from .models import Export
from .selectors import (
    milestone_rules,
    school_leader_schools,
    school_termly_summary,
)
from .services import (
    export_download_refused,
    export_record,
    export_settings,
    export_start,
    exports_fail_stalled,
)
from .terms import Term, term_from_slug, term_of
from .writers import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_chunks, xlsx_bytes

logger = logging.getLogger(__name__)

# ---- The staff dashboard and the cohort report ----


class DashboardView(PermissionRequiredMixin, TemplateView):
    """The staff dashboard: applications, funding, places, approvals, participation and
    outcomes, filtered by academic year, programme and partner."""

    permission_required = ("applications.view_application", "cohorts.view_all_cohorts")
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = DashboardFilters.from_query(self.request.GET)
        warnings = funding_list_warnings()
        counted_at, figures = dashboard_figures_lazily(filters=filters)
        context.update(
            filters=filters,
            # Lists nothing waits for are named on the funding page; here they are counted.
            list_warnings=[warning for warning in warnings if warning.waiting],
            more_list_gaps=sum(1 for warning in warnings if not warning.waiting),
            upload_link=self.request.user.has_perm("schools.add_eligibilitylist"),
            figures=figures,
            figures_counted_at=counted_at,
            options=review_filter_options(),
        )
        return context


class CohortReportView(PermissionRequiredMixin, TemplateView):
    """A cohort's printable report: everyone's attendance, module progress and assessment."""

    permission_required = "participants.view_attendance"
    template_name = "reports/cohort_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = cohort_seen_by(self.request.user, self.kwargs["pk"])
        if cohort is None:
            raise Http404("No such cohort, or not one of yours.")
        report = cohort_report(
            cohort=cohort,
            # Facilitators see results once released, as participants do; not work in marking.
            assessment_details=self.request.user.has_perm("assessment.view_submission"),
        )
        context.update(cohort=cohort, report=report, now=timezone.now())
        return context


# ---- DfE milestones and the school leader's termly summary ----


@dataclass
class MilestoneRow:
    enrolment: object
    status: MilestoneStatus

    @property
    def cells(self) -> list[DeclarationState | None]:
        """One per declaration column; None where the programme has no such declaration."""
        states = {d.declaration: d for d in self.status.declarations}
        return [states.get(declaration) for declaration in DECLARATIONS]


class MilestoneListView(PermissionRequiredMixin, TemplateView):
    """DfE milestones: for each place, the declarations its evidence supports now, its next
    milestone date and what is due by it. Facilitators see their own cohorts' places."""

    permission_required = "participants.view_attendance"
    template_name = "reports/milestone_list.html"
    paginate_by = PAGE_PLACES  # the most milestone_page_places reads

    def get_context_data(self, **kwargs):
        user = self.request.user
        rules = milestone_rules()
        today = timezone.localdate()
        # The person's cohorts, and those the page reads, as fixed queries' shapes.
        mine = MilestoneCohorts(run_by=None if sees_every_cohort(user) else user.pk)
        cohort = None
        if "pk" in self.kwargs:
            cohort = get_object_or_404(
                mine.queryset().select_related("programme"), pk=self.kwargs["pk"]
            )
        year = MilestoneFilterForm.year_chosen(self.request.GET)
        chosen_id = _whole_id(self.request.GET.get("cohort", ""))
        # What the listing depends on of what was asked (the filters' checks included): whose
        # cohorts, the cohort of the address, and the year, cohort and programme chosen.
        asked = (
            "milestones",
            mine.shape,
            mine.args,
            cohort and cohort.pk,
            year,
            chosen_id,
            _whole_id(self.request.GET.get("programme", "")),
        )

        checked = []  # the filters checked while the listing was read afresh, if it was

        def read() -> tuple[MilestoneListing, bool]:
            choices = milestone_filter_choices(mine)
            options = milestone_cohort_options(_in_year(mine, year, today), chosen_id)
            checked[:] = self._listed(
                MilestoneListing(choices, options, []), mine, cohort, year, today
            )
            counted, current = milestone_counted(checked[1], today)
            return MilestoneListing(choices, options, counted), current

        listing = milestone_listing_kept(asked, today, read)
        filters, _, data, to_come = checked or self._listed(listing, mine, cohort, year, today)
        funded_only = data.get("places") != MilestoneFilterForm.ALL_PLACES
        by_cohort = listing.counts(funded_only=funded_only)
        show = data.get("show", "")
        # The page's places are found by id alone, sorting only the cohorts the page falls in
        # (the counts say which), then read with all the page shows.
        paginator = Paginator(
            PlacesInOrder(by_cohort, show or "all", today, funded_only=funded_only),
            self.paginate_by,
        )
        page = paginator.get_page(self.request.GET.get("page"))
        found = milestone_page_places(list(page.object_list))
        page.object_list = [  # a place deleted since its id was read is left out
            MilestoneRow(found[pk], kept_status(found[pk], today))
            for pk in page.object_list
            if pk in found
        ]
        return super().get_context_data(
            cohort=cohort,
            filters=filters,
            to_come=to_come,
            to_come_since=milestone_to_come_since(today),
            show=show,
            counts=milestone_totals(by_cohort),
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            labels=[LABELS[d] for d in DECLARATIONS],
            rules=rules,
            dates_with_retained_2=_percents(rules.dates_with_retained_2),
            dates_without_retained_2=_percents(rules.dates_without_retained_2),
            today=today,
            **kwargs,
        )

    def _listed(self, listing: MilestoneListing, mine: MilestoneCohorts, cohort, year, today):
        """The page's filters checked, from the listing's choices and options; the cohorts they
        list; what was chosen; and whether the page lists the cohorts with a milestone to come.
        A cohort chosen that is not the person's is not found."""
        programmes, years = MilestoneFilterForm.choices_from(listing.choices)
        filters = MilestoneFilterForm(
            self.request.GET or None,
            cohorts=lambda: mine.queryset().select_related("programme"),
            cohort_options=listing.options,
            programmes=programmes,
            years=years,
        )
        if cohort is not None:
            del filters.fields["cohort"]
        filters.is_valid()
        if "cohort" in filters.errors:
            raise Http404("No such cohort.")  # another facilitator's cohort, as if missing
        data = getattr(filters, "cleaned_data", {})
        if "academic_year" not in data and year != MilestoneFilterForm.TO_COME:
            # A year not offered: the default is listed, and the form says why.
            year = MilestoneFilterForm.TO_COME
        chosen_cohort = cohort or data.get("cohort")
        if chosen_cohort is not None:
            # A cohort chosen is shown whatever its year, unless a year is chosen too.
            cohorts = replace(mine, cohort_id=chosen_cohort.pk)
            if year != MilestoneFilterForm.TO_COME:
                cohorts = _in_year(cohorts, year, today)
        else:
            cohorts = _in_year(mine, year, today)
        if data.get("programme"):
            cohorts = replace(cohorts, programme_id=data["programme"].pk)
        to_come = chosen_cohort is None and year == MilestoneFilterForm.TO_COME
        return filters, cohorts, data, to_come


def _whole_id(text: str) -> int | None:
    """The id a filter's value names: a whole number a database key can be, else None."""
    number = whole_number(text)
    return number if number is not None and number < 2**63 else None


def _in_year(cohorts: MilestoneCohorts, year, today) -> MilestoneCohorts:
    """These cohorts in the year chosen on the milestone page: a year, every year, or (when
    none is chosen) those with a milestone to come."""
    if year == MilestoneFilterForm.ALL_YEARS:
        return cohorts
    if year == MilestoneFilterForm.TO_COME:
        return replace(cohorts, since=milestone_to_come_since(today))
    return replace(cohorts, year=year)


def _percents(dates: dict[str, int]) -> str:
    return ", ".join(f"{LABELS[declaration]} {percent}%" for declaration, percent in dates.items())


class SchoolLeaderRequiredMixin:
    """Only school leaders: anyone else gets a 403. Their schools are those the hub confirmed
    them as leading (SchoolLeadership); another school's people are never shown."""

    def dispatch(self, request, *args, **kwargs):

        self.schools = list(school_leader_schools(user=request.user))
        if Role.SCHOOL_LEADER not in user_roles(request.user) and not self.schools:
            raise PermissionDenied("This page is for school leaders.")
        return super().dispatch(request, *args, **kwargs)

    def get_term(self) -> Term:
        """The term the `term` parameter names (e.g. 2027-autumn), else the current one."""
        slug = self.request.GET.get("term", "")
        if slug:
            try:
                return term_from_slug(slug)
            except ValueError as error:
                messages.error(self.request, f"{error} Showing the current term instead.")
        return term_of(timezone.localdate())


class SchoolTermlySummaryView(SchoolLeaderRequiredMixin, TemplateView):
    """A school leader's termly summary: per participant, sessions attended of those held,
    modules completed and assessment outcomes released in the term; prints cleanly."""

    template_name = "reports/school_termly_summary.html"

    def get_context_data(self, **kwargs):
        term = self.get_term()
        current = term_of(timezone.localdate())
        return super().get_context_data(
            summary=school_termly_summary(schools=self.schools, term=term),
            term=term,
            current_term=current,
            show_next=term.starts_on <= current.starts_on,
            **kwargs,
        )


class SchoolTermlySummaryPdfView(SchoolLeaderRequiredMixin, View):
    """The termly summary as a PDF to download."""

    def get(self, request):
        from .pdf import termly_summary_pdf  # reportlab loads only when someone downloads

        term = self.get_term()
        summary = school_termly_summary(schools=self.schools, term=term)
        try:
            pdf = termly_summary_pdf(summary=summary, generated_at=timezone.localtime())
        except Exception as error:
            # The error's text may quote a participant's name: log where it failed, not that.
            logger.error(
                "Termly summary PDF for user %s, term %s failed: %s at %s",
                request.user.pk,
                term.slug,
                type(error).__name__,
                " < ".join(
                    f"{frame.filename}:{frame.lineno} ({frame.name})"
                    for frame in reversed(traceback.extract_tb(error.__traceback__))
                ),
            )
            messages.error(
                request,
                "The PDF of this summary could not be made. The summary is below: print it "
                "from your browser, or try the PDF again later.",
            )
            return redirect(f"{reverse('reports:school-summary')}?term={term.slug}")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="termly-summary-{term.slug}.pdf"'
        return response


# ---- Exports ----


class ExportCreateView(View):
    """Download a list as CSV or Excel with the list's filters: at once when it is small,
    otherwise prepared in the background (a GET asks first; the POST starts it)."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        self.dataset = DATASETS.get(kwargs["kind"])
        if self.dataset is None or kwargs["file_format"] not in Export.Format.values:
            raise Http404("No such export.")
        if not request.user.has_perm(self.dataset.permission):
            raise PermissionDenied(f"You may not export {self.dataset.title.lower()}.")
        self.file_format = kwargs["file_format"]
        self.filters = self.dataset.filters_from(
            request.POST if request.method == "POST" else request.GET
        )
        try:
            self.contents = export_contents(
                user=request.user, kind=self.dataset.kind, filters=self.filters
            )
        except ObjectDoesNotExist as missing:  # out of the person's scope: as if not there
            raise Http404("Not found.") from missing
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.small():
            return self.download()
        return render(
            request,
            "reports/export_confirm.html",
            {
                "dataset": self.dataset,
                "file_format": Export.Format(self.file_format),
                "filters": self.filters,
                "filter_list": filters_described(self.filters),
                "total": self.contents.total,
                "inline_max_rows": export_settings()["inline_max_rows"],
            },
        )

    def post(self, request, *args, **kwargs):
        if self.small():
            return self.download()
        export = export_start(
            user=request.user,
            kind=self.dataset.kind,
            file_format=self.file_format,
            filters=self.filters,
            rows_total=self.contents.total,
        )
        return redirect(export)

    def small(self) -> bool:
        return self.contents.total <= export_settings()["inline_max_rows"]

    def download(self):
        export_record(
            user=self.request.user,
            kind=self.dataset.kind,
            file_format=self.file_format,
            filters=self.filters,
            rows=self.contents.total,
        )
        name = self.dataset.file_name(filters=self.filters, file_format=self.file_format)
        if self.file_format == Export.Format.XLSX:
            response = HttpResponse(
                xlsx_bytes(
                    headers=self.contents.headers,
                    rows=self.contents.values(),
                    title=self.dataset.title,
                ),
                content_type=XLSX_CONTENT_TYPE,
            )
        else:
            response = StreamingHttpResponse(
                csv_chunks(headers=self.contents.headers, rows=self.contents.values()),
                content_type=CSV_CONTENT_TYPE,
            )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


class ExportListView(ListView):
    """The exports a person asked for in the last week, newest first."""

    template_name = "reports/export_list.html"
    paginate_by = 25

    def get(self, request, *args, **kwargs):
        # One whose worker died shows as failed, not as being prepared for ever.
        exports_fail_stalled(exports=Export.objects.for_user(request.user))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Export.objects.for_user(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(keep_days=export_settings()["keep_days"], **kwargs)


class ExportDetailView(DetailView):
    """An export's progress, then its download link; it refreshes itself until it is done
    (static/js/export-progress.js, or a meta refresh without JavaScript)."""

    template_name = "reports/export_detail.html"
    context_object_name = "export"

    def get(self, request, *args, **kwargs):
        # One whose worker died says so and to start again, instead of refreshing for ever.
        exports_fail_stalled(exports=self.get_queryset().filter(pk=kwargs["pk"]))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Export.objects.for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dataset = DATASETS[self.object.kind]
        context["dataset"] = dataset
        context["filter_list"] = filters_described(self.object.filters)
        context["keep_days"] = export_settings()["keep_days"]
        return context


class ExportProgressView(View):
    """How far an export has got, as JSON, for its page to poll."""

    def get(self, request, pk):
        exports = Export.objects.for_user(request.user)
        exports_fail_stalled(exports=exports.filter(pk=pk))  # then the page shows why it stopped
        export = get_object_or_404(exports, pk=pk)
        return JsonResponse(
            {
                "status": export.status,
                "status_label": export.get_status_display(),
                "rows_done": export.rows_done,
                "rows_total": export.rows_total,
                "percent": export.percent_done,
                "finished": export.finished,
            }
        )


class ExportDownloadView(View):
    """An export's file, for the person who asked for it and nobody else, while they may
    still export that list."""

    def get(self, request, pk):
        export = get_object_or_404(
            Export.objects.for_user(request.user), pk=pk, status=Export.Status.DONE
        )
        refused = export_download_refused(user=request.user, export=export)
        if refused:
            messages.error(request, refused)
            return redirect("reports:export-list")
        content_type = (
            XLSX_CONTENT_TYPE if export.file_format == Export.Format.XLSX else CSV_CONTENT_TYPE
        )
        try:
            handle = export.file.open("rb")
        except FileNotFoundError:  # deleted as old (forget-old-exports), or lost
            messages.error(
                request,
                f"{export.file_name} has expired and is no longer kept. "
                "Export the list again to make a new one.",
            )
            return redirect("reports:export-list")
        return FileResponse(
            handle, as_attachment=True, filename=export.file_name, content_type=content_type
        )


# ---- The audit log (issue 11) ----

AUDIT_LOG_COUNTED = 100


class AuditLogView(PermissionRequiredMixin, ListView):
    """Who changed what, when and why, from every history the portal keeps, newest first."""

    permission_required = "reports.view_audit_log"
    template_name = "reports/audit_log.html"
    paginate_by = 25
    paginator_class = CappedPaginator

    def get_paginator(self, queryset, per_page, **kwargs):
        # "More than 100 changes": the count reads, newest first, the changes it counts, and
        # the first page is cut from them (reports.audit.AuditRows). A hundred keep that one
        # query short however rare a searched word is in the histories.
        return super().get_paginator(queryset, per_page, cap=AUDIT_LOG_COUNTED, **kwargs)

    def get(self, request, *args, **kwargs):
        self.filters = AuditLogFilterForm(
            request.GET or None,
            kinds=[(source.key, source.label) for source in AUDIT_SOURCES],
            people=audit_log_people(),
        )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if not self.filters.is_bound:
            return audit_log_rows(filters=AuditFilters())
        if not self.filters.is_valid():
            return []  # the form says what is wrong; a half-applied filter would mislead
        data = self.filters.cleaned_data
        return audit_log_rows(
            filters=AuditFilters(
                text=data["q"],
                kinds=(data["kind"],) if data["kind"] else (),
                person=data["person"],
                since=data["since"],
                until=data["until"],
            )
        )

    def get_paginate_by(self, queryset):
        if self.filters.is_bound and self.filters.is_valid():
            return self.filters.cleaned_data["per_page"] or self.paginate_by
        return self.paginate_by

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = self.filters.cleaned_data if self.filters.is_bound else {}
        context.update(
            filters=self.filters,
            filtered=any(value for key, value in data.items() if key != "per_page")
            or bool(self.filters.errors),
            entries=audit_log_entries(rows=context["object_list"], viewer=self.request.user),
        )
        return context


# ---- Work Group engagement: the roster on a day, the hub's area, grants ----


class EngagementRosterView(PermissionRequiredMixin, TemplateView):
    """A Work Group programme's roster of schools for a school year as it stood on a day
    (today, or DfE's February snapshot or August completions), with CSV and Excel exports."""

    permission_required = "reports.view_engagement"
    template_name = "reports/engagement_roster.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        try:
            choice = roster_choice(self.request.GET)
        except Programme.DoesNotExist as missing:
            raise Http404("No such Work Group programme.") from missing
        number = self.request.GET.get("page", "1")
        # Every sign-up is counted; only the page's are read, with their schools' details, in
        # the same query (the paginator asks again only for a page that is not there), and
        # kept until anything the roster reads changes.
        roster = roster_standing_kept(
            academic_year=choice.academic_year,
            on=choice.on,
            programme=choice.programme,
            page=whole_number(number) or 1,
            per_page=self.paginate_by,
        )
        page = Paginator(roster.lines, self.paginate_by).get_page(number)
        today = timezone.localdate()
        return super().get_context_data(
            choice=choice,
            roster=roster,
            page_obj=page,
            rows=page.object_list,
            programmes=fixed_objects(team_programmes),
            years=work_group_years(),
            quick_dates=[("Today", today), *roster_dates(choice.academic_year)],
            export_filters={
                "programme": choice.programme.slug if choice.programme else "",
                "year": choice.academic_year,
                "on": choice.on.isoformat(),
            },
            **kwargs,
        )


class HubAreaEngagementView(PermissionRequiredMixin, TemplateView):
    """Per local authority in the hub's area: its open primary schools, how many are engaged
    in a Work Group this school year (or the year chosen), and the share, as a chart and a
    table."""

    permission_required = "reports.view_engagement"
    template_name = "reports/engagement_area.html"

    def get_context_data(self, **kwargs):
        page = hub_area_page(asked=self.request.GET.get("year", ""))
        return super().get_context_data(
            area=page.area,
            academic_year=page.academic_year,
            year_label=academic_year_label(page.academic_year),
            years=page.years,
            **kwargs,
        )


class GrantClaimListView(PermissionRequiredMixin, ListView):
    """Every grant owed to a school for its Work Group place, filtered by programme, school
    year and status, with totals and what can be done next."""

    permission_required = "participants.view_grantclaim"
    template_name = "reports/grant_claim_list.html"
    paginate_by = 25

    def get_queryset(self):
        # Not a queryset: the list's totals, and a page of its claims, by fixed queries. The
        # paginator counts it from the totals (GrantClaimList.count), not by asking again.
        self.filters = {key: self.request.GET.get(key, "") for key in GRANT_FILTERS}
        return GrantClaimList(self.filters)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filters=self.filters,
            totals=self.object_list.totals,
            programmes=fixed_objects(team_programmes),
            years=work_group_years(),
            statuses=GrantClaim.Status.choices,
            **kwargs,
        )


class GrantClaimUpdateView(PermissionRequiredMixin, View):
    """Record a school's grant claim received or paid, or cancel it with a reason, then go back
    to the list as it was."""

    permission_required = "participants.change_grantclaim"
    http_method_names = ["post"]
    actions = {
        "claimed": (grant_claim_mark_claimed, "{}'s claim marked received."),
        "paid": (grant_claim_mark_paid, "{}'s grant marked paid."),
        "cancelled": (grant_claim_cancel, "{}'s grant cancelled."),
    }

    def post(self, request, pk):
        claim = get_object_or_404(GrantClaim.objects.select_related("school_place__school"), pk=pk)
        back = request.POST.get("next") or reverse("reports:grant-claim-list")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("reports:grant-claim-list")
        action = self.actions.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, "Choose to mark the claim received or paid, or to cancel it.")
            return redirect(back)
        service, done = action
        extra = (
            {"reason": request.POST.get("reason", "")[:1000]}
            if service is grant_claim_cancel
            else {}
        )
        try:
            service(claim=claim, by=request.user, **extra)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))  # nothing was changed; say why
        else:
            messages.success(request, done.format(claim.school_place.school.name))
        return redirect(back)
