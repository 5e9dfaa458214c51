import dataclasses

import pytest
from django.core.management import call_command
from django.urls import reverse

from npq_portal.tests.factories import UserFactory
from reports.bench_data import BenchPeople, bench_data_make
from reports.bench_growth import (
    GrowthRow,
    growth_explained,
    growth_rows,
    growth_section,
    growth_too_fast,
)
from reports.bench_pages import Page, PageResult, bench_pages, page_queries, session_cookie_for
from schools.gias_generator import write_gias_file

pytestmark = pytest.mark.django_db


def test_a_benchmark_session_is_signed_in_on_a_server_run_as_production(client, settings):
    settings.SESSION_COOKIE_NAME = settings.PRODUCTION_SESSION_COOKIE_NAME  # DEBUG off
    teacher = UserFactory()
    name, key = session_cookie_for(teacher.pk).split("=", 1)
    client.cookies[name] = key

    response = client.get(reverse("participants:teacher-home"))

    assert response.status_code == 200
    assert response.wsgi_request.user == teacher


@pytest.fixture
def small_hub(tmp_path) -> BenchPeople:
    """The benchmark's hub at small scale, on the schools and catalogue it expects."""
    call_command("load_catalogue", verbosity=0)
    gias = tmp_path / "edubasealldata20261122.csv"
    with gias.open("wb") as handle:
        write_gias_file(handle, 500)
    call_command("import_gias", str(gias), verbosity=0)
    return bench_data_make(scale="small")


def test_every_page_the_benchmark_measures_answers_its_user_at_small_scale(small_hub, settings):
    settings.SESSION_COOKIE_NAME = settings.PRODUCTION_SESSION_COOKIE_NAME

    pages = bench_pages(small_hub)
    queries = {
        page.name: page_queries(page, session_cookie_for(page.user_id) if page.user_id else "")
        for page in pages
    }
    by_path = {page.name: page.path for page in pages}

    # Every page of issue 22's list is there, about something the data holds.
    paths = {page.path for page in pages}
    for path in [
        f"/applications/{small_hub.application_id}/",
        f"/staff/sessions/{small_hub.session_id}/register/",
        "/staff/milestones/",
        f"/my-progress/{small_hub.enrolment_id}/",
        f"/staff/cohorts/{small_hub.work_group_id}/sign-ups/",
        f"/staff/cohorts/{small_hub.work_group_id}/work-group/",
        f"/work-group-places/{small_hub.school_place_id}/",
        "/staff/engagement/roster/",
        "/staff/engagement/area/",
        "/staff/engagement/grants/",
        "/staff/dfe/",
        f"/staff/dfe/connections/{small_hub.connection_id}/",
        "/staff/dfe/log/",
        "/staff/dfe/reconciliation/",
        "/staff/dfe/declarations/",
        "/staff/dfe/outgoing/",
    ]:
        assert path in paths
    # page_queries asks for each page as its user and fails unless it answers 200.
    assert len(queries) == len(pages)  # each page's name says which it is
    assert queries["Trivial Django view (ceiling)"] == 0
    # The trivial view signed in reads the session, the person and their access, no more.
    floor = "Trivial Django view, signed in as staff (floor)"
    assert by_path[floor] == "/ping" and 0 < queries[floor] <= 3
    assert all(count > 0 for name, count in queries.items() if by_path[name].startswith("/staff/"))


def test_the_small_hub_has_work_groups_and_dfe_records_to_show(small_hub):
    from applications.models import Application
    from dfe.models import Connection, Declaration, DfeApplication
    from participants.models import Attendance, Enrolment, SchoolPlace

    place = SchoolPlace.objects.get(pk=small_hub.school_place_id)
    connection = Connection.objects.get(pk=small_hub.connection_id)

    assert place.cohort_id == small_hub.work_group_id
    assert place.cohort.facilitators.filter(pk=small_hub.facilitator_id).exists()
    assert 2 <= place.members.count() <= 4
    assert Attendance.objects.filter(enrolment__school_place=place).exists()  # registers taken
    assert Enrolment.objects.filter(participant_id=small_hub.team_member_id, school_place=place)
    assert Application.objects.filter(team=True, cohort_id=small_hub.work_group_id).count() >= 3
    # DfE holds most of the portal's NPQ applications, linked, and a few of its own.
    linked = DfeApplication.objects.filter(application__isnull=False).count()
    assert linked > 0.7 * Application.objects.filter(team=False).count()
    assert DfeApplication.objects.filter(application__isnull=True).exists()
    assert Declaration.objects.exists()
    # Nothing can reach DfE: the connection's token comes from a variable nobody sets.
    assert connection.token_encrypted == ""
    assert connection.token_env_var.startswith("DFE_TOKEN_")


def _result(kind="page", *, ms=100.0, queries=10, rows=20, error="", name="A page"):
    """A page's figures as pages_measure gives them: a signed-in page's drawn afresh."""
    path = f"/{name.lower()}/"
    rps = 1000 / ms if ms else 0.0
    if kind == "page":
        page = Page(name, path, user_id=1)
        return PageResult(page, 500.0, 5.0, 0, queries, rps, ms, rows, error)
    return PageResult(Page(name, path, kind=kind), rps, ms, 0, queries, rows=rows, error=error)


@pytest.mark.parametrize(
    "latency, queries, rows, machine, too_fast",
    [
        # The same rows in the same queries: 25% slower is noise, more is not.
        ((100, 125), (10, 10), (20, 20), 1.0, False),
        ((100, 126), (10, 10), (20, 20), 1.0, True),
        # Twice the rows may take twice as long (and 25% more), not three times.
        ((100, 250), (10, 10), (20, 40), 1.0, False),
        ((100, 300), (10, 10), (20, 40), 1.0, True),
        # Twice the queries, likewise; the larger growth of the two is what explains.
        ((100, 250), (10, 20), (20, 30), 1.0, False),
        # Fewer rows does not ask for a faster page.
        ((100, 120), (10, 10), (40, 20), 1.0, False),
        # A page with no queries or rows counts them as one.
        ((10, 12), (0, 0), (0, 0), 1.0, False),
        ((10, 13), (0, 0), (0, 0), 1.0, True),
        # The trivial view got twice as slow: the machine, not the page.
        ((100, 240), (10, 10), (20, 20), 2.0, False),
        # A machine that got faster does not tighten the rule.
        ((100, 125), (10, 10), (20, 20), 0.5, False),
        # Getting faster is never flagged.
        ((100, 50), (10, 10), (20, 20), 1.0, False),
    ],
)
def test_a_page_may_grow_as_its_queries_and_rows_explain_and_25_percent_more(
    latency, queries, rows, machine, too_fast
):
    assert growth_too_fast(latency=latency, queries=queries, rows=rows, machine=machine) is too_fast


def test_what_explains_growth_is_the_larger_of_the_query_and_row_growth():
    assert growth_explained(queries=(10, 30), rows=(20, 40)) == 3.0
    assert growth_explained(queries=(10, 10), rows=(20, 10)) == 1.0


def test_the_growth_table_judges_pages_against_the_trivial_views_own_growth():
    before = [
        _result("ceiling", ms=10.0, name="Trivial"),
        _result(ms=100.0, name="Steady"),
        _result(ms=100.0, name="Slower"),
        _result(ms=100.0, name="Gone"),
    ]
    after = [
        _result("ceiling", ms=12.0, name="Trivial"),  # 1.2×: a little busier machine
        _result(ms=140.0, name="Steady"),  # 1.4× < 1.25 × 1.2 = 1.5×
        _result(ms=160.0, name="Slower"),
        _result(ms=0.0, name="Gone", error="timed out"),
    ]

    rows = growth_rows(before, after)

    assert [row.flagged for row in rows] == [False, False, True, True]
    assert rows[0].machine == pytest.approx(1.2)
    assert rows[1].allowed == pytest.approx(1.5)
    assert not rows[0].judged  # the trivial view is the yardstick


def test_the_growth_section_names_the_flagged_pages_and_what_grew():
    from reports.bench_growth import Growth

    rows = growth_rows(
        [_result("ceiling", ms=10.0, name="Trivial"), _result(ms=100.0, name="Roster")],
        [_result("ceiling", ms=10.0, name="Trivial"), _result(ms=400.0, rows=20, name="Roster")],
    )
    growth = Growth(
        scale="small",
        grown_scale="small10",
        sizes={"applications": (1_000, 10_000)},
        copy_seconds=0.1,
        grow_seconds=5.0,
        seconds=1,
        connections=16,
        rows=rows,
    )

    section = growth_section({"growth": growth})

    assert "## Growth: one school year against ten (small → small10)" in section
    assert "| applications | 1,000 | 10,000 | 10.0× |" in section
    assert "| 100.0 | 400.0 | 4.00× | 1.25× | 10 → 10 | 20 → 20 | **yes** |" in section
    assert "Flagged (1): Roster." in section
    assert isinstance(rows[1], GrowthRow)


def test_each_page_is_judged_against_the_ceiling_measured_beside_it():
    from reports.management.commands.bench import Command

    def beside(result, ceiling):
        return dataclasses.replace(result, ceiling_beside=ceiling)

    results = [
        _result("ceiling", ms=0.5, name="Trivial"),  # 2,000 a second in the first minute
        _result("peer", ms=100.0, name="Admin"),
        # 150 a second: 7.5% of the first ceiling, 10% of the 1,500 measured beside it.
        beside(_result(ms=1000 / 150, name="Beside a slower machine"), 1_500.0),
        # 170 a second: 8.5% of the first ceiling, 6.8% of the 2,500 beside it.
        beside(_result(ms=1000 / 170, name="Beside a quicker machine"), 2_500.0),
    ]
    figures = {
        "pages": results,
        "scale": "small",
        "wrk_seconds": 1,
        "gias_rows": 10,
        "profiles": [],
    }

    section = Command._pages_section(figures)

    assert "| Beside a slower machine | `/beside a slower machine/` |  | 150 |" in section
    assert "| 1,500 | 10.0% | 15.0× |" in section
    assert "| 2,500 | 6.8% | 17.0× |" in section
    goals = [line.rsplit("|", 2)[-2].strip() for line in section.splitlines() if "Beside" in line]
    assert goals == ["yes", "**no**"]
    assert "ranged from 1,500 to 2,500 requests a second, median 2,000, against 2,000" in section
