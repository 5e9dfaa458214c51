"""The staff dashboard's figures: what hub staff ask every week, counted in a fixed number of
queries whatever the number of rows, and cached briefly (settings.DASHBOARD_CACHE_SECONDS),
since a figure a few minutes old answers the question as well."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from applications.models import Application, ApplicationEvent
from assessment.models import AssessmentWindow, Outcome, Submission
from cohorts.models import Cohort
from mailing_list.models import Subscriber
from npq_portal.numbers import whole_number
from npq_portal.words import word
from participants.models import Enrolment
from participants.selectors import (
    enrolments_participation,
    grid_enrolments,
    participation_threshold,
)


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard's filters: an academic year (2025 means 2025/26), a programme (by slug)
    and a delivery partner (by id); None means all."""

    academic_year: int | None = None
    programme: str | None = None
    partner: int | None = None

    @classmethod
    def from_query(cls, query) -> DashboardFilters:
        year, partner = query.get("year", ""), query.get("partner", "")
        return cls(
            academic_year=whole_number(year),
            programme=query.get("programme") or None,
            partner=whole_number(partner),
        )

    def cohort_q(self, path: str = "") -> Q:
        """These filters on cohorts reached through `path` (e.g. "cohort__")."""
        q = Q()
        if self.academic_year:
            q &= Q(**{f"{path}academic_year": self.academic_year})
        if self.programme:
            q &= Q(**{f"{path}programme__slug": self.programme})
        if self.partner:
            q &= Q(**{f"{path}delivery_partner_id": self.partner})
        return q

    def cache_key(self) -> str:
        return f"dashboard:{self.academic_year}:{self.programme}:{self.partner}"


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, and one row of the table that carries the same numbers."""

    label: str
    value: int
    url: str = ""


@dataclass(frozen=True)
class Chart:
    """A bar chart drawn as SVG on the server, with its numbers as a table too."""

    title: str
    value_heading: str
    bars: list[Bar]

    @property
    def largest(self) -> int:
        return max((bar.value for bar in self.bars), default=0)

    @property
    def rows(self) -> list[tuple[Bar, float]]:
        """Each bar with its length as a percentage of the largest."""
        largest = self.largest or 1
        return [(bar, round(100 * bar.value / largest, 1)) for bar in self.bars]


@dataclass(frozen=True)
class CohortPlaces:
    cohort: Cohort
    taken: int
    capacity: int
    url: str

    @property
    def percent(self) -> int:
        return round(100 * self.taken / self.capacity) if self.capacity else 0


@dataclass(frozen=True)
class CohortParticipation:
    cohort: Cohort
    participants: int
    average_percent: int | None
    at_risk: int
    url: str
    at_risk_url: str


@dataclass(frozen=True)
class WindowOutcomes:
    window: AssessmentWindow
    submitted: int
    passed: int
    failed: int
    waiting: int
    url: str


# A national provider runs hundreds of cohorts: the dashboard shows the ones needing attention
# and links to the full list, so the page stays the same size whatever the hub's.
COHORTS_SHOWN = 10


@dataclass(frozen=True)
class DashboardFigures:
    funnel: Chart
    by_programme: list[tuple[str, list[tuple[int, str]]]]
    statuses: list[tuple[str, str]]
    funding: Chart
    places: list[CohortPlaces]  # the fullest COHORTS_SHOWN
    places_total: int
    places_url: str
    approvals_waiting: Chart
    approvals_total: int
    approvals_oldest_days: int | None
    participation: list[CohortParticipation]  # the COHORTS_SHOWN with most at risk
    participation_total: int
    participation_url: str
    outcomes: list[WindowOutcomes]
    computed_at: datetime.datetime = field(default_factory=timezone.now)


def _link(url_name: str, **params) -> str:
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return reverse(url_name) + (f"?{urlencode(params)}" if params else "")


def _applications_link(filters: DashboardFilters, **params) -> str:
    """The review queue showing what a figure counted: its own filter and the dashboard's."""
    return _link(
        "applications:application-list",
        **params,
        programme=filters.programme,
        year=filters.academic_year,
        partner=filters.partner,
    )


def _applications(filters: DashboardFilters):
    return Application.objects.filter(filters.cohort_q("cohort__"))


def _funnel(filters: DashboardFilters) -> Chart:
    """From interest to a place: each stage counts everyone who reached it."""
    applications = _applications(filters)
    interest = Subscriber.objects.confirmed()
    if filters.programme:
        interest = interest.filter(programmes__slug=filters.programme)
    s = Application.Status
    # Reached approval: its history has the move, whatever happened after (waitlisted…).
    approved = Exists(
        ApplicationEvent.objects.filter(application=OuterRef("pk"), to_status=s.SCHOOL_APPROVED)
    )
    counts = applications.aggregate(
        started=Count("pk"),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        approved=Count("pk", filter=approved),
        accepted=Count("pk", filter=Q(status=s.ACCEPTED)),
    )
    enrolled = Enrolment.objects.filter(filters.cohort_q("cohort__")).exclude(
        status=Enrolment.Status.WITHDRAWN
    )
    return Chart(
        title="From interest to a place",
        value_heading="People",
        bars=[
            Bar(
                "Registered interest",
                interest.distinct().count(),
                _link("mailing_list:subscriber-report"),
            ),
            Bar("Started an application", counts["started"]),
            Bar(
                "Submitted an application",
                counts["submitted"],
                _applications_link(filters),
            ),
            Bar("Approved by their school", counts["approved"]),
            Bar(
                "Offered a place",
                counts["accepted"],
                _applications_link(filters, status=s.ACCEPTED),
            ),
            Bar("Holding or completed a place", enrolled.count()),
        ],
    )


def _by_programme(filters: DashboardFilters) -> list[tuple[str, list[tuple[int, str]]]]:
    """Submitted applications by programme (A to Z) and status: a row per programme, a cell
    per status (as in STATUSES_SHOWN) with its count and the list behind it."""
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    rows = (
        _applications(filters)
        .exclude(status=Application.Status.DRAFT)
        .values(
            "cohort__programme__short_name",
            "cohort__programme__name",
            "cohort__programme__slug",
            "status",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        name = row["cohort__programme__short_name"] or row["cohort__programme__name"]
        table[(name, row["cohort__programme__slug"])][row["status"]] = row["n"]
    return [
        (
            name,
            [
                (
                    counts.get(status, 0),
                    _link(
                        "applications:application-list",
                        status=status,
                        programme=slug,
                        year=filters.academic_year,
                        partner=filters.partner,
                    ),
                )
                for status, _ in STATUSES_SHOWN
            ],
        )
        for (name, slug), counts in sorted(table.items())
    ]


def _funding(filters: DashboardFilters) -> Chart:
    """The funding outcome that stands (staff's override where there is one) of every
    submitted application with a decision."""
    decided = (
        _applications(filters)
        .exclude(status=Application.Status.DRAFT)
        .filter(funding_decision__isnull=False)
        .values("funding_decision__status", "funding_decision__override_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = defaultdict(int)
    for row in decided:
        code = row["funding_decision__override_status"] or row["funding_decision__status"]
        counts[code] += row["n"]
    return Chart(
        title="Funding outcomes",
        value_heading="Applications",
        bars=[
            Bar(
                word("funding_outcome", code),  # linked to the list filtered by the code
                n,
                _applications_link(filters, funding=code),
            )
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ],
    )


def _places(filters: DashboardFilters) -> list[CohortPlaces]:
    """Places taken against capacity in every cohort open for applications (or full)."""
    cohorts = (
        Cohort.objects.filter(filters.cohort_q())
        .filter(status__in=[Cohort.Status.OPEN, Cohort.Status.FULL])
        .select_related("programme")
        .order_by("starts_on", "pk")
    )
    # Places taken as the cohort keeps them (participants.services.places_taken), as the
    # cohort list, the cohort page and the grid show them.
    return [
        CohortPlaces(cohort, cohort.places_taken, cohort.capacity, cohort.get_absolute_url())
        for cohort in cohorts
    ]


STATUSES_SHOWN = [c for c in Application.Status.choices if c[0] != Application.Status.DRAFT]
APPROVAL_AGES = ((0, 3, "Up to 3 days"), (4, 7, "4 to 7 days"), (8, 10, "8 to 10 days"))


def _approvals(filters: DashboardFilters, now) -> tuple[Chart, int, int | None]:
    """Applications waiting for their school, by how long (staff are told after 10 days)."""
    waiting = _applications(filters).filter(status=Application.Status.AWAITING_SCHOOL)
    today = timezone.localdate(now)

    def since(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=days)

    buckets = {
        f"age_{low}": Count(
            "pk", filter=Q(submitted_at__gt=since(high + 1), submitted_at__lte=since(low))
        )
        for low, high, _ in APPROVAL_AGES
    }
    counts = waiting.aggregate(
        total=Count("pk"),
        oldest=Min("submitted_at"),
        over=Count("pk", filter=Q(submitted_at__lte=since(11))),
        **buckets,
    )
    url = _applications_link(filters, status=Application.Status.AWAITING_SCHOOL)
    bars = [Bar(label, counts[f"age_{low}"], url) for low, _, label in APPROVAL_AGES]
    bars.append(Bar("Over 10 days", counts["over"], url))
    oldest = (today - timezone.localdate(counts["oldest"])).days if counts["oldest"] else None
    return Chart("Approvals waiting, by how long", "Applications", bars), counts["total"], oldest


def _participation(filters: DashboardFilters) -> list[CohortParticipation]:
    """Average participation so far and how many are at risk, in each running cohort, over
    the places its grid lists (so a figure and the grid it links to agree); the participation
    of them all is counted in one go (five queries)."""
    threshold = participation_threshold()
    cohorts = list(
        Cohort.objects.filter(filters.cohort_q())
        .filter(status=Cohort.Status.RUNNING)
        .select_related("programme")
        .order_by("starts_on", "pk")
    )
    places = list(grid_enrolments(cohorts=cohorts))
    figures = enrolments_participation(enrolments=places)
    by_cohort: dict[int, list] = defaultdict(list)
    for place in places:
        by_cohort[place.cohort_id].append(figures[place.pk])
    rows = []
    for cohort in cohorts:
        people = by_cohort[cohort.pk]
        known = [p.so_far_percent for p in people if p.so_far_percent is not None]
        url = reverse("participants:cohort-progress", args=[cohort.pk])
        rows.append(
            CohortParticipation(
                cohort=cohort,
                participants=len(people),
                average_percent=round(sum(known) / len(known)) if known else None,
                at_risk=sum(1 for p in people if p.at_risk(threshold)),
                url=url,
                at_risk_url=f"{url}?show=at-risk",
            )
        )
    return rows


def _outcomes(filters: DashboardFilters) -> list[WindowOutcomes]:
    """Each window's submitted work and its outcomes, newest window first (the last ten)."""
    windows = AssessmentWindow.objects.select_related("programme", "cohort")
    if filters.programme:
        windows = windows.filter(programme__slug=filters.programme)
    if filters.academic_year or filters.partner:
        # Subqueries, not a join through the programme's cohorts: that repeated each window
        # once per cohort of its programme before its submissions were counted.
        cohorts = Cohort.objects.filter(filters.cohort_q())
        windows = windows.filter(
            Q(cohort__isnull=True, programme__in=cohorts.values("programme"))
            | Q(cohort__in=cohorts)
        )
    live = Q(submissions__status=Submission.Status.SUBMITTED)
    windows = windows.annotate(
        submitted=Count("submissions", filter=live, distinct=True),
        passed=Count("outcomes", filter=Q(outcomes__result=Outcome.Result.PASSED), distinct=True),
        failed=Count("outcomes", filter=Q(outcomes__result=Outcome.Result.FAILED), distinct=True),
    ).order_by("-opens_at", "pk")[:10]
    return [
        WindowOutcomes(
            window=window,
            submitted=window.submitted,
            passed=window.passed,
            failed=window.failed,
            waiting=max(window.submitted - window.passed - window.failed, 0),
            url=reverse("assessment:window-marking", args=[window.pk]),
        )
        for window in windows
    ]


def dashboard_figures(*, filters: DashboardFilters, now=None) -> DashboardFigures:
    """Every figure on the staff dashboard for these filters (cached for a few minutes)."""
    # The cache backend (npq_portal/cache.py) answers as an empty cache while Redis is down.
    if now is None:
        counted_at = cache.get(filters.cache_key() + COUNTED_AT)
        cached = cache.get(_figures_key(filters, counted_at)) if counted_at else None
        if cached is not None:
            return cached
    now = now or timezone.now()
    approvals, approvals_total, oldest = _approvals(filters, now)
    places, participation = _places(filters), _participation(filters)
    figures = DashboardFigures(
        funnel=_funnel(filters),
        by_programme=_by_programme(filters),
        statuses=STATUSES_SHOWN,
        funding=_funding(filters),
        places=sorted(places, key=lambda p: (-p.percent, p.cohort.starts_on))[:COHORTS_SHOWN],
        places_total=len(places),
        places_url=_link("cohorts:cohort-list", status=Cohort.Status.OPEN),
        approvals_waiting=approvals,
        approvals_total=approvals_total,
        approvals_oldest_days=oldest,
        participation=sorted(participation, key=lambda p: (-p.at_risk, p.average_percent or 0))[
            :COHORTS_SHOWN
        ],
        participation_total=len(participation),
        participation_url=_link("cohorts:cohort-list", status=Cohort.Status.RUNNING),
        outcomes=_outcomes(filters),
        computed_at=now,
    )
    cache.set_many(
        {filters.cache_key() + COUNTED_AT: now, _figures_key(filters, now): figures},
        settings.DASHBOARD_CACHE_SECONDS,
    )
    return figures


# The cache keeps when the figures for some filters were last counted (a few bytes to read),
# and the figures under a key naming that counting, so the two always go together.
COUNTED_AT = ":counted-at"


def _figures_key(filters: DashboardFilters, counted_at: datetime.datetime) -> str:
    return f"{filters.cache_key()}:{counted_at.isoformat()}"


def dashboard_figures_lazily(*, filters: DashboardFilters):
    """(When the figures for these filters were counted, the figures), the figures read from
    the cache only when something asks for them. The page draws them once a counting (its
    fragment is kept by when they were counted), so most visits read only the time, not the
    figures: about 70 KB to unpickle at full scale, a millisecond a visit."""
    counted_at = cache.get(filters.cache_key() + COUNTED_AT)
    if counted_at is None:
        figures = dashboard_figures(filters=filters)
        return figures.computed_at, figures

    def read() -> DashboardFigures:
        kept = cache.get(_figures_key(filters, counted_at))
        return kept if kept is not None else dashboard_figures(filters=filters)  # evicted

    return counted_at, SimpleLazyObject(read)
