import datetime

import pytest
from django.core.cache.utils import make_template_fragment_key
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Submission
from assessment.tests.factories import AssessmentWindowFactory
from cohorts.tests.factories import CohortFactory
from npq_portal.models import User
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Enrolment
from participants.selectors import cohort_progress_grid, progress_rows_shown
from participants.tests.factories import EnrolmentFactory
from reports.dashboard import COUNTED_AT, DashboardFilters, dashboard_figures

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _bars(chart) -> dict[str, int]:
    return {bar.label: bar.value for bar in chart.bars}


def test_the_figures_match_the_hand_counted_hub(hub):
    figures = dashboard_figures(filters=DashboardFilters(), now=NOW)

    assert _bars(figures.funnel) == {
        "Registered interest": 2,
        "Started an application": 7,
        "Submitted an application": 6,
        "Approved by their school": 3,
        "Offered a place": 2,
        "Holding or completed a place": 4,  # two accepted, two with submissions (no withdrawn)
    }
    assert _bars(figures.funding) == {"Funded": 2, "Not working in England": 1}
    assert [(p.cohort, p.taken, p.capacity) for p in figures.places] == [(hub["a1"], 3, 10)]
    assert figures.approvals_total == 2 and figures.approvals_oldest_days == 12
    assert _bars(figures.approvals_waiting) == {
        "Up to 3 days": 1,
        "4 to 7 days": 0,
        "8 to 10 days": 0,
        "Over 10 days": 1,
    }
    (running,) = figures.participation
    assert (running.cohort, running.participants, running.average_percent, running.at_risk) == (
        hub["b1"],
        1,
        0,
        1,
    )
    (window,) = figures.outcomes
    assert (window.submitted, window.passed, window.failed, window.waiting) == (2, 1, 0, 1)
    counts = {name: [n for n, _ in cells] for name, cells in figures.by_programme}
    # Columns: waiting, approved, declined, offered, waiting list, not offered, withdrawn.
    assert counts == {"NPQA": [2, 1, 0, 1, 0, 1, 0], "NPQB": [0, 0, 0, 1, 0, 0, 0]}


def test_filters_by_year_programme_and_partner(hub):
    by_year = dashboard_figures(filters=DashboardFilters(academic_year=2026), now=NOW)
    by_programme = dashboard_figures(filters=DashboardFilters(programme="npq-a"), now=NOW)
    by_partner = dashboard_figures(filters=DashboardFilters(partner=hub["north"].pk), now=NOW)

    assert _bars(by_year.funnel)["Started an application"] == 1
    assert by_year.places == [] and by_year.outcomes == []
    assert _bars(by_programme.funnel)["Registered interest"] == 2
    assert _bars(by_programme.funnel)["Started an application"] == 6
    assert by_programme.participation == []
    assert _bars(by_partner.funding) == {"Funded": 2}


def test_a_programme_wide_window_counts_once_for_a_year_however_many_cohorts_it_has(hub):
    a1 = hub["a1"]
    CohortFactory(programme=a1.programme, academic_year=2027, delivery_partner=hub["north"])
    window = AssessmentWindowFactory(programme=a1.programme, cohort=None)
    Submission.objects.create(
        enrolment=EnrolmentFactory(cohort=a1),
        window=window,
        status="submitted",
        submitted_at=window.opens_at,
    )

    by_year = dashboard_figures(filters=DashboardFilters(academic_year=2027), now=NOW)
    earlier = dashboard_figures(filters=DashboardFilters(academic_year=2026), now=NOW)

    rows = [row for row in by_year.outcomes if row.window == window]
    assert [(row.submitted, row.passed, row.failed) for row in rows] == [(1, 0, 0)]
    assert window not in [row.window for row in earlier.outcomes]


def test_each_figure_links_to_the_list_behind_it_and_every_chart_is_a_table(client, hub):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(reverse("reports:dashboard"), {"programme": "npq-a"})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"{reverse('applications:application-list')}?status=awaiting_school" in page
    assert f"{reverse('applications:application-list')}?funding=funded" in page
    assert reverse("assessment:window-marking", args=[hub["window"].pk]) in page
    assert reverse("cohorts:cohort-detail", args=[hub["a1"].pk]) in page
    # Every chart's bars sit in the table that carries their numbers.
    assert page.count("<svg") == page.count('class="chart-bar') > 0
    assert page.count("<svg") <= page.count("<tr>")


def test_the_dashboard_warns_naming_each_list_that_decisions_wait_for(client):
    from funding.models import FundingDecision

    FundingDecision.objects.bulk_create(
        FundingDecision(
            subject=f"applications.application:{n}",
            rules="2026",
            facts={},
            status="funding_to_be_confirmed",
            funded=False,
            provisional=True,
            waiting_on=["rise", "pp50_schools"] if n else ["pp50_schools"],
            reason="Test",
        )
        for n in range(3)
    )
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(reverse("reports:dashboard")).content.decode()

    assert "Funding waits for eligibility lists" in page
    assert "<strong>PP50 schools (by URN)</strong> has never been uploaded: 3 provisional" in page
    assert "<strong>RISE schools (by URN)</strong> has never been uploaded: 2 provisional" in page
    assert "5 more lists are not in, with no decision waiting." in page
    assert "Upload the lists on the funding page" not in page  # programme leads cannot


def test_the_dashboard_is_for_hub_staff_only(client):
    for user, expected in (
        (UserFactory(), 403),
        (StaffUserFactory(roles=[Role.FACILITATOR]), 403),
        (StaffUserFactory(roles=[Role.ASSESSOR]), 403),
        (StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]), 200),
    ):
        sign_in(client, user)
        assert client.get(reverse("reports:dashboard")).status_code == expected


def test_figures_are_reused_for_a_few_minutes(hub, django_assert_num_queries):
    dashboard_figures(filters=DashboardFilters())

    with django_assert_num_queries(0):
        dashboard_figures(filters=DashboardFilters())


def _bulk_places(cohort, count):
    users = User.objects.bulk_create(
        User(email=f"p{n}-{cohort.pk}@bulk.example", first_name="P", last_name=str(n))
        for n in range(count)
    )
    Enrolment.objects.bulk_create(Enrolment(participant=u, cohort=cohort) for u in users)


def _dashboard_queries(client) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("reports:dashboard")).status_code == 200
    return len(captured)


def _figures_section(page: str) -> str:
    return page[page.index('<div class="row g-4') :]


def test_a_visit_that_finds_the_figures_drawn_reads_when_they_were_counted_not_them(
    client, hub, monkeypatch
):
    """The figures are drawn once a counting: a later visit reads only when they were counted
    (the drawn fragment is kept by that), not the figures themselves."""
    from django.core.cache import cache

    cache.clear()
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    first = client.get(reverse("reports:dashboard")).content.decode()

    real_get = cache.get

    figures = DashboardFilters().cache_key() + ":"  # the figures of a counting, not its time

    def get(key, *args, **kwargs):
        assert not (key.startswith(figures) and key != figures + COUNTED_AT[1:]), "figures read"
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    again = client.get(reverse("reports:dashboard")).content.decode()

    assert _figures_section(again) == _figures_section(first)
    assert "Submitted an application" in _figures_section(again)


def test_figures_no_longer_drawn_are_read_and_those_expired_counted_again(client, hub):
    from django.core.cache import cache

    cache.clear()
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    first = client.get(reverse("reports:dashboard")).content.decode()
    # The drawn fragment gone, the figures kept: they are read and drawn again, the same.
    key = DashboardFilters().cache_key()
    fragment = make_template_fragment_key("dashboard-figures", [cache.get(key + COUNTED_AT), key])
    assert cache.delete(fragment)
    assert _figures_section(client.get(reverse("reports:dashboard")).content.decode()) == (
        _figures_section(first)
    )

    _bulk_places(hub["b1"], 5)
    cache.delete(key + COUNTED_AT)  # expired: the figures' own key is named by this time
    counted_again = client.get(reverse("reports:dashboard")).content.decode()

    assert _figures_section(counted_again) != _figures_section(first)


def test_the_query_count_does_not_grow_up_to_10000_enrolments(client, hub):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    small = _dashboard_queries(client)

    _bulk_places(hub["b1"], 10_000)
    large = _dashboard_queries(client)

    assert large == small
    figures = dashboard_figures(filters=DashboardFilters(academic_year=2026), now=NOW)
    assert figures.participation[0].participants == 10_001


def test_a_figures_link_opens_the_list_with_exactly_the_rows_it_counted(client, hub):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    filters = DashboardFilters(academic_year=2027, partner=hub["north"].pk)
    waiting = dashboard_figures(filters=filters).approvals_waiting.bars[0]  # up to 3 days

    response = client.get(waiting.url)

    assert "year=2027" in waiting.url and f"partner={hub['north'].pk}" in waiting.url
    shown = response.context["paginator"].count
    assert shown == dashboard_figures(filters=filters).approvals_total == 2


def test_with_many_cohorts_it_shows_those_needing_attention_and_links_to_the_rest(hub):
    from cohorts.models import Cohort
    from cohorts.tests.factories import CohortFactory

    for n in range(12):
        CohortFactory(status=Cohort.Status.OPEN, capacity=10 + n)

    figures = dashboard_figures(filters=DashboardFilters(), now=NOW)

    assert figures.places_total == 13 and len(figures.places) == 10
    assert figures.places[0].cohort == hub["a1"]  # the fullest first
    assert "status=open" in figures.places_url


def test_the_figures_are_counted_afresh_while_redis_is_down(hub, settings, monkeypatch):
    from npq_portal.cache import TolerantRedisCache

    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "npq_portal.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }

    figures = dashboard_figures(filters=DashboardFilters())

    assert _bars(figures.funnel)["Submitted an application"] == 6


def test_the_at_risk_figure_counts_the_people_its_grid_lists(hub):
    deferred = EnrolmentFactory(cohort=hub["b1"], status=Enrolment.Status.DEFERRED)
    Enrolment.objects.filter(pk=deferred.pk).update(created_at=NOW - datetime.timedelta(days=90))

    (running,) = dashboard_figures(filters=DashboardFilters(), now=NOW).participation
    grid = cohort_progress_grid(cohort=hub["b1"])

    assert running.participants == len(grid.rows) == 2
    assert running.at_risk == len(progress_rows_shown(grid.rows, show="at-risk")) == 2
