"""Work Group engagement: the roster as it stood on a day (DfE's February snapshot and August
completions), its exports, and the share of the hub's area's open primary schools engaged."""

import datetime
import random
from collections import Counter

import factory
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from applications.models import Application
from applications.services import application_accept, application_school_decide
from applications.services import application_withdraw as sign_up_withdraw
from applications.tests.factories import ApplicationFactory, bulk_applications, team_sign_up
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.signals import rows_written
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from participants.models import SchoolPlace
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory, work_group_programme
from reports.datasets import ENGAGEMENT_ROSTER
from reports.engagement import (
    HOLDING_A_PLACE,
    TEAMS,
    RosterLine,
    RosterStatus,
    SignUpFacts,
    _area_statement,
    engagement_roster,
    hub_area_engagement,
    roster_stale,
    roster_standing,
    roster_standing_kept,
    roster_status,
)
from reports.models import KeptAreaPage, KeptRosterPage
from reports.templatetags.engagement_rows import day as roster_day
from schools.models import LocalAuthority, School
from schools.services import hub_area_set
from schools.tests.factories import SchoolFactory, bulk_schools

from .factories import column, rows_of

pytestmark = pytest.mark.django_db

D = datetime.date
FEBRUARY, AUGUST = D(2026, 2, 1), D(2026, 8, 31)


# ---- The rule, facts in and status out ----

BASE = dict(sent_on=D(2025, 11, 5), starts_on=D(2025, 10, 1))


@pytest.mark.parametrize(
    ("facts", "on", "expected"),
    [
        (dict(), D(2025, 11, 4), None),  # not sent yet
        (dict(), D(2025, 11, 5), RosterStatus.SIGNED_UP),  # sent that day
        (dict(accepted_on=D(2025, 11, 20)), D(2025, 11, 19), RosterStatus.SIGNED_UP),
        (dict(accepted_on=D(2025, 11, 20)), D(2025, 11, 20), RosterStatus.ACTIVE),
        # A place before the Work Group starts: still signed up until it does.
        (
            dict(starts_on=D(2026, 2, 15), accepted_on=D(2026, 1, 20)),
            FEBRUARY,
            RosterStatus.SIGNED_UP,
        ),
        (dict(never_joined_on=D(2025, 12, 1)), D(2025, 11, 30), RosterStatus.SIGNED_UP),
        (dict(never_joined_on=D(2025, 12, 1)), D(2025, 12, 1), None),  # declined: off it
        (dict(sign_up_withdrawn_on=D(2026, 1, 20)), FEBRUARY, RosterStatus.WITHDRAWN),
        (
            dict(accepted_on=D(2025, 11, 20), place_withdrawn_on=D(2026, 5, 12)),
            FEBRUARY,
            RosterStatus.ACTIVE,
        ),
        (
            dict(accepted_on=D(2025, 11, 20), place_withdrawn_on=D(2026, 5, 12)),
            AUGUST,
            RosterStatus.WITHDRAWN,
        ),
        (
            dict(accepted_on=D(2025, 11, 20), completed_on=D(2026, 7, 10)),
            D(2026, 7, 9),
            RosterStatus.ACTIVE,
        ),
        (
            dict(accepted_on=D(2025, 11, 20), completed_on=D(2026, 7, 10)),
            AUGUST,
            RosterStatus.COMPLETED,
        ),
    ],
)
def test_roster_status_as_it_stood_on_a_day(facts, on, expected):
    assert roster_status(SignUpFacts(**{**BASE, **facts}), on) == expected


# ---- The hand-counted hub: one programme's 2025/26 sign-ups ----


def _at(day: D):
    """The clock at noon on `day`, in London."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return time_machine.travel(moment, tick=False)


def _sign_up(cohort, name: str, sent: D, *, approved: bool = True) -> Application:
    with _at(sent):
        application = team_sign_up(
            cohort=cohort,
            school=SchoolFactory(name=name),
            status=Application.Status.AWAITING_SCHOOL,
        )
        if approved:
            application_school_decide(
                application=application,
                approve=True,
                name="Helen Whitfield",
                email="h@s.example",
                commits_school=True,  # approving a Work Group sign-up commits the school
            )
    return application


def _accept(application, day: D):
    with _at(day):
        return application_accept(application=application, by=UserFactory())


def _place_ends(application, status: str, day: D) -> None:
    """The school's place completed or withdrawn on `day` (as the Work Group Lead records)."""
    field = "completed_on" if status == SchoolPlace.Status.COMPLETED else "withdrawn_on"
    SchoolPlace.objects.filter(application=application).update(status=status, **{field: day})


@pytest.fixture
def hub():
    """Mastering Number 2025/26 (from 1 October 2025, and a second group from 15 February 2026):

    | school | sent | then | 1 Feb 2026 | 31 Aug 2026 |
    | Ash | 10 Sep | place 20 Sep, completed 10 Jul | active | completed |
    | Birch | 5 Nov | place 20 Nov, withdrew 12 May | active | withdrawn |
    | Cedar | 15 Jan | place 1 Mar | signed up | active |
    | Damson | 1 Dec | declined by its school 10 Dec | - | - |
    | Elm | 1 Mar | place 10 Mar, completed 20 Jul | - | completed |
    | Fir | 1 Oct | sign-up withdrawn 20 Jan | withdrawn | withdrawn |
    | Hazel | 10 Jan | place 25 Jan in the February group | signed up | active |
    | Larch | 2024/25's cohort | | - | - |
    """
    programme = work_group_programme(name="Mastering Number", short_name="MN", slug="mn")
    autumn = CohortFactory(
        programme=programme,
        academic_year=2025,
        starts_on=D(2025, 10, 1),
        ends_on=D(2026, 7, 17),
        status=Cohort.Status.OPEN,
        name="Autumn group",
    )
    february = CohortFactory(
        programme=programme,
        academic_year=2025,
        starts_on=D(2026, 2, 15),
        ends_on=D(2026, 7, 17),
        status=Cohort.Status.OPEN,
        name="February group",
    )
    last_year = CohortFactory(
        programme=programme,
        academic_year=2024,
        starts_on=D(2024, 10, 1),
        ends_on=D(2025, 7, 17),
        status=Cohort.Status.OPEN,
    )
    ash = _sign_up(autumn, "Ash Primary", D(2025, 9, 10))
    _accept(ash, D(2025, 9, 20))
    _place_ends(ash, SchoolPlace.Status.COMPLETED, D(2026, 7, 10))
    birch = _sign_up(autumn, "Birch Primary", D(2025, 11, 5))
    _accept(birch, D(2025, 11, 20))
    _place_ends(birch, SchoolPlace.Status.WITHDRAWN, D(2026, 5, 12))
    cedar = _sign_up(autumn, "Cedar Primary", D(2026, 1, 15))
    _accept(cedar, D(2026, 3, 1))
    damson = _sign_up(autumn, "Damson Primary", D(2025, 12, 1), approved=False)
    with _at(D(2025, 12, 10)):
        application_school_decide(
            application=damson, approve=False, name="Head", email="h@d.example", comment="Busy"
        )
    elm = _sign_up(autumn, "Elm Primary", D(2026, 3, 1))
    _accept(elm, D(2026, 3, 10))
    _place_ends(elm, SchoolPlace.Status.COMPLETED, D(2026, 7, 20))
    fir = _sign_up(autumn, "Fir Primary", D(2025, 10, 1))
    with _at(D(2026, 1, 20)):
        sign_up_withdraw(application=fir, by=fir.applicant)
    hazel = _sign_up(february, "Hazel Primary", D(2026, 1, 10))
    _accept(hazel, D(2026, 1, 25))
    larch = _sign_up(last_year, "Larch Primary", D(2024, 9, 1))
    _accept(larch, D(2024, 9, 5))
    return programme


def _statuses(roster) -> dict[str, str]:
    return {row.school.name.split()[0]: row.status.label for row in roster.rows}


def test_the_february_snapshot_counts_the_sign_ups_as_they_stood(hub):
    roster = engagement_roster(academic_year=2025, on=FEBRUARY, programme=hub)

    assert _statuses(roster) == {
        "Ash": "Active",
        "Birch": "Active",  # withdrew in May: in February it was taking part
        "Cedar": "Signed up",
        "Fir": "Withdrawn",
        "Hazel": "Signed up",  # a place, but its group had not started
    }
    assert roster.counts == {
        "Signed up": 2,
        "Active": 2,
        "Completed": 0,
        "Withdrawn": 1,
        "In all": 5,
    }


def test_august_completions_leave_out_the_school_that_withdrew_in_may(hub):
    roster = engagement_roster(academic_year=2025, on=AUGUST, programme=hub)

    completed = [row.school.name for row in roster.rows if row.status == RosterStatus.COMPLETED]
    assert completed == ["Ash Primary", "Elm Primary"]
    birch = next(row for row in roster.rows if row.school.name == "Birch Primary")
    assert (birch.status, birch.withdrawn_on, birch.completed_on) == (
        RosterStatus.WITHDRAWN,
        D(2026, 5, 12),
        None,
    )
    assert roster.counts == {
        "Signed up": 0,
        "Active": 2,
        "Completed": 2,
        "Withdrawn": 2,
        "In all": 6,
    }
    ash = next(row for row in roster.rows if row.school.name == "Ash Primary")
    assert (ash.signed_up_on, ash.completed_on) == (D(2025, 9, 10), D(2026, 7, 10))


def test_another_programmes_and_another_years_schools_are_not_on_the_roster(hub):
    other = CohortFactory(programme=work_group_programme(), academic_year=2025)
    with _at(D(2025, 9, 1)):
        team_sign_up(cohort=other)

    this_programme = engagement_roster(academic_year=2025, on=AUGUST, programme=hub)
    every_work_group = engagement_roster(academic_year=2025, on=AUGUST)
    last_year = engagement_roster(academic_year=2024, on=D(2025, 8, 31), programme=hub)

    assert len(this_programme.rows) == 6
    assert len(every_work_group.rows) == 7
    assert _statuses(last_year) == {"Larch": "Active"}


def test_the_roster_counts_days_in_london_not_utc(hub):
    """Sent at 00:30 on 1 October (23:30 on 30 September in UTC), given a place at 00:15 on
    the 2nd: on the 1st it was signed up, not yet active, and it signed up on the 1st."""
    cohort = Cohort.objects.get(name="Autumn group")
    just_after_midnight = datetime.datetime(2025, 9, 30, 23, 30, tzinfo=datetime.UTC)
    with time_machine.travel(just_after_midnight, tick=False):
        oak = team_sign_up(cohort=cohort, school=SchoolFactory(name="Oak Primary"))
    with time_machine.travel(just_after_midnight + datetime.timedelta(hours=24, minutes=45)):
        application_accept(application=oak, by=UserFactory())

    def oak_on(day):
        roster = engagement_roster(academic_year=2025, on=day, programme=hub)
        return next((row for row in roster.rows if row.school.name == "Oak Primary"), None)

    assert oak_on(D(2025, 9, 30)) is None
    first, second = oak_on(D(2025, 10, 1)), oak_on(D(2025, 10, 2))
    assert (first.signed_up_on, first.status) == (D(2025, 10, 1), RosterStatus.SIGNED_UP)
    assert second.status == RosterStatus.ACTIVE


# ---- The roster page's rule, in SQL, against the rule in Python ----

STATUSES = [status for status in Application.Status if status != Application.Status.DRAFT]


def _moment(rng, first: D, days: int) -> datetime.datetime:
    """A moment on one of `days` days from `first`, in London; often near midnight, where a
    day in UTC and a day in London differ."""
    day = first + datetime.timedelta(days=rng.randrange(days))
    hour, minute = rng.choice([(0, 15), (0, 45), (12, 0), (23, 30), (23, 59)])
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _random_sign_ups(seed: int = 22, count: int = 48) -> list[Programme]:
    """Sign-ups to two Work Groups' cohorts of 2025/26 with every kind of record: sent and
    changed on any day; in any status, its decision's moment kept or not (made in bulk), its
    school's decision either way or none, kept or not (some after the days asked about); places
    made, completed and withdrawn."""
    rng = random.Random(seed)
    programmes = [work_group_programme(slug=f"wg{n}", name=f"Work Group {n}") for n in (1, 2)]
    cohorts = [
        CohortFactory(programme=programme, academic_year=2025, starts_on=starts)
        for programme, starts in zip(
            programmes * 2,
            [D(2025, 10, 1), D(2025, 11, 3), D(2026, 2, 15), D(2026, 1, 5)],
            strict=True,
        )
    ]
    sign_ups = bulk_applications(
        count,
        cohort=factory.Iterator(cohorts),
        team=True,
        status=Application.Status.AWAITING_SCHOOL,
    )

    def later(start: datetime.datetime) -> datetime.datetime | None:
        if rng.random() < 0.25:
            return None
        return start + datetime.timedelta(days=rng.randrange(0, 330), minutes=rng.randrange(600))

    for application in sign_ups:
        sent = _moment(rng, D(2025, 9, 1), 200)
        Application.objects.filter(pk=application.pk).update(
            submitted_at=sent,
            updated_at=sent + datetime.timedelta(days=rng.randrange(0, 300), minutes=5),
            status=rng.choice(STATUSES),
            decided_at=later(sent),
            school_approved=rng.choice([True, False, None]),
            school_decided_at=later(sent),
        )
        if rng.random() < 0.6:
            made = sent + datetime.timedelta(days=rng.randrange(0, 120), hours=rng.randrange(24))
            ended = (made + datetime.timedelta(days=rng.randrange(1, 250))).date()
            end_kind = rng.choice(["", "", "completed", "withdrawn", "both"])
            place = SchoolPlace.objects.create(
                cohort=application.cohort,
                school=application.school,
                application=application,
                completed_on=ended if end_kind in ("completed", "both") else None,
                withdrawn_on=(
                    ended + datetime.timedelta(days=rng.choice([-20, 0, 20]))
                    if end_kind in ("withdrawn", "both")
                    else None
                ),
            )
            SchoolPlace.objects.filter(pk=place.pk).update(created_at=made)
    return programmes


def _lines(roster) -> list[RosterLine]:
    """The roster's rows (the exports') as the page's lines."""
    return [
        RosterLine(
            urn=row.school.urn,
            school=row.school.name,
            local_authority=row.school.la_name,
            programme=row.cohort.programme.short_name,
            cohort=row.cohort.name,
            status=row.status,
            signed_up_on=row.signed_up_on,
            completed_on=row.completed_on,
            withdrawn_on=row.withdrawn_on,
        )
        for row in roster.rows
    ]


def test_the_roster_page_s_rule_in_sql_gives_what_the_rule_in_python_gives():
    """Every day from September to September, for each programme and for every Work Group:
    the same counts, and the same rows in the same order, read in pages."""
    programmes = _random_sign_ups()
    days = [D(2025, 8, 31) + datetime.timedelta(days=n) for n in range(0, 380, 9)]
    for starts in Cohort.objects.values_list("starts_on", flat=True):  # the eve and the day
        days += [starts - datetime.timedelta(days=1), starts]
    checked = Counter()

    for programme in [None, *programmes]:
        for on in days:
            roster = engagement_roster(academic_year=2025, on=on, programme=programme)
            standing = roster_standing(academic_year=2025, on=on, programme=programme)
            expected = _lines(roster)

            assert standing.counts == roster.counts, (programme, on)
            assert standing.lines[0:100] == expected, (programme, on)
            assert standing.lines[3:7] == expected[3:7]
            # A later page, read with its counts (or, past the last, counted on its own).
            second = roster_standing(
                academic_year=2025, on=on, programme=programme, page=2, per_page=4
            )
            assert second.counts == roster.counts, (programme, on)
            assert second.lines[4:8] == expected[4:8]
            checked.update(line.status for line in expected)
            checked["completed shown"] += sum(1 for line in expected if line.completed_on)
            checked["withdrawn shown"] += sum(1 for line in expected if line.withdrawn_on)
            checked["left out"] += len(Application.objects.filter(team=True)) - len(expected)

    # Every status, both days a row may show, and sign-ups left out were met along the way.
    assert set(RosterStatus) | {"completed shown", "withdrawn shown", "left out"} <= set(checked)
    assert min(checked.values()) >= 20, checked


# ---- The roster page and its exports ----


def _manager(client):
    user = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, user)
    return user


def test_the_roster_page_shows_the_day_chosen_with_quick_picks_for_february_and_august(client, hub):
    _manager(client)

    page = client.get(
        reverse("reports:engagement-roster"), {"programme": "mn", "year": 2025, "on": "2026-02-01"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert [row.school for row in page.context["rows"]][:2] == [
        "Ash Primary",
        "Birch Primary",
    ]
    assert "on=2026-02-01" in html and "on=2026-08-31" in html  # the quick picks
    assert "February snapshot (1 Feb 2026)" in html
    assert "/exports/engagement-roster/csv/?programme=mn&amp;year=2025&amp;on=2026-02-01" in html


def test_each_roster_row_gives_the_school_its_programme_when_all_are_shown_and_its_days(
    client, hub
):
    """The rows (drawn in Python: reports/templatetags/engagement_rows.py) in words, with
    the school's and cohort's names escaped."""
    _manager(client)
    School.objects.filter(name="Birch Primary").update(name="Birch & <Oak> Primary")
    Cohort.objects.filter(name="Autumn group").update(name="Autumn <A>")
    url = reverse("reports:engagement-roster")

    every = client.get(url, {"year": 2025, "on": "2026-08-31"}).content.decode()
    one = client.get(url, {"programme": "mn", "year": 2025, "on": "2026-08-31"}).content.decode()

    birch = every[every.index("Birch &amp; &lt;Oak&gt; Primary") :].split("</tr>")[0]
    assert birch == (
        "Birch &amp; &lt;Oak&gt; Primary</th><td>Cheshire West and Chester</td><td>MN</td>"
        "<td>Autumn &lt;A&gt;</td><td>5 Nov 2025</td><td>Withdrawn</td><td>–</td>"
        "<td>12 May 2026</td>"
    )
    ash = one[one.index("Ash Primary") :].split("</tr>")[0]
    assert ash.endswith(
        "<td>Autumn &lt;A&gt;</td><td>10 Sep 2025</td><td>Completed</td>"
        "<td>10 Jul 2026</td><td>–</td>"
    )
    assert "<td>MN</td>" in every and "<td>MN</td>" not in one


# The rows as engagement_roster.html drew them before they were drawn in Python
# (reports/templatetags/engagement_rows.py): the tag must draw the same HTML.
TEMPLATE_ROWS = """<tbody>{% for row in rows %}
      <tr><td>{{ row.school.urn }}</td><th scope="row" class="fw-normal">{{ row.school.name }}</th><td>{{ row.school.la_name }}</td>{% if not choice.programme %}<td>{{ row.cohort.programme.short_name }}</td>{% endif %}<td>{{ row.cohort.name }}</td><td>{{ row.signed_up_on|date:"j M Y" }}</td><td>{{ row.status_label }}</td><td>{{ row.completed_on|date:"j M Y"|default:"–" }}</td><td>{{ row.withdrawn_on|date:"j M Y"|default:"–" }}</td></tr>
    {% endfor %}</tbody>"""  # noqa: E501


@pytest.mark.parametrize("one_programme", [True, False])
def test_the_roster_rows_drawn_in_python_are_the_templates_rows(hub, one_programme):
    School.objects.filter(name="Birch Primary").update(name="Birch & <Oak>", la_name="A & B")
    programme = hub if one_programme else None
    roster = engagement_roster(academic_year=2025, on=AUGUST, programme=programme)
    standing = roster_standing(academic_year=2025, on=AUGUST, programme=programme)
    choice = {"programme": programme}
    engine = engines["django"]

    drawn = engine.from_string(
        "{% load engagement_rows %}<tbody>{% engagement_rows rows choice.programme %}</tbody>"
    ).render({"rows": standing.lines[0:50], "choice": choice})
    templated = engine.from_string(TEMPLATE_ROWS).render({"rows": roster.rows, "choice": choice})

    assert drawn == templated
    assert drawn.count("<tr>") == 6
    assert "Birch &amp; &lt;Oak&gt;</th><td>A &amp; B</td>" in drawn


def test_the_roster_page_reads_its_page_and_the_counts_in_one_query(django_assert_num_queries):
    _grown_roster(60)

    with django_assert_num_queries(1):
        standing = roster_standing(academic_year=2025, on=FEBRUARY, page=2, per_page=50)
        rows = standing.lines[50:60]  # what a paginator asks for a short last page
    with django_assert_num_queries(1):
        first = standing.lines[0:50]

    assert standing.counts["Signed up"] == standing.counts["In all"] == 60
    assert standing.lines.count() == 60
    assert len(rows) == 10 and len(first) == 50
    assert [row.urn for row in first + rows] == sorted(row.urn for row in first + rows)
    assert {(type(row.school), row.status_label) for row in rows} == {(str, "Signed up")}
    with pytest.raises(TypeError, match="a page at a time"):
        standing.lines[3]


def test_a_roster_page_past_the_last_is_counted_on_its_own(django_assert_num_queries):
    _grown_roster(60)

    with django_assert_num_queries(2):
        standing = roster_standing(academic_year=2025, on=FEBRUARY, page=9, per_page=50)

    assert standing.counts["In all"] == standing.lines.count() == 60
    assert len(standing.lines[50:60]) == 10


def test_a_roster_page_number_past_any_roster_shows_the_last_page(client):
    _manager(client)
    _grown_roster(60)
    url = reverse("reports:engagement-roster") + "?year=2025&on=2026-02-01&page="

    response = client.get(url + "99999999999999999999")

    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert len(response.context["rows"]) == 10
    assert response.context["roster"].counts["In all"] == 60


def test_the_rows_days_read_as_the_date_filter_drew_them():
    days = [D(2025, 1, 1) + datetime.timedelta(days=n) for n in range(400)] + [D(987, 3, 9)]

    assert [roster_day(each) for each in days] == [date_format(each, "j M Y") for each in days]
    assert roster_day(None) == "–"


def test_an_unknown_programme_is_not_found(client):
    _manager(client)

    page = client.get(reverse("reports:engagement-roster"), {"programme": "nothing"})

    assert page.status_code == 404


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_roster_exports_hold_the_rows_of_the_day_chosen(client, hub, file_format):
    _manager(client)

    response = client.get(
        reverse("reports:export-create", args=["engagement-roster", file_format]),
        {"programme": "mn", "year": "2025", "on": "2026-08-31"},
    )

    assert response.status_code == 200
    assert "engagement-mn-2025-on-2026-08-31" in response["Content-Disposition"]
    rows = rows_of(response, file_format)
    assert rows[0] == [
        "School URN",
        "School",
        "Local authority",
        "Programme",
        "Cohort",
        "Signed up",
        "Status",
        "Completed",
        "Withdrawn",
    ]
    assert column(rows, "School") == [
        "Ash Primary",
        "Birch Primary",
        "Cedar Primary",
        "Elm Primary",
        "Fir Primary",
        "Hazel Primary",
    ]
    assert column(rows, "Status") == [
        "Completed",
        "Withdrawn",
        "Active",
        "Completed",
        "Withdrawn",
        "Active",
    ]
    urns = [str(urn) for urn in column(rows, "School URN")]
    assert urns == [
        str(School.objects.get(name=f"{name} Primary").urn)
        for name in ("Ash", "Birch", "Cedar", "Elm", "Fir", "Hazel")
    ]


def test_a_facilitator_may_neither_see_nor_export_the_roster(client):
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))

    page = client.get(reverse("reports:engagement-roster"))
    export = client.get(reverse("reports:export-create", args=["engagement-roster", "csv"]))

    assert (page.status_code, export.status_code) == (403, 403)


def test_the_roster_pages_query_count_does_not_grow_with_the_schools(client):
    _manager(client)
    cohort = CohortFactory(
        programme=work_group_programme(slug="grow"), academic_year=2025, starts_on=D(2025, 10, 1)
    )

    def add_rows(count):
        bulk_applications(
            count,
            cohort=cohort,
            team=True,
            status=Application.Status.SCHOOL_APPROVED,
            submitted_at=timezone.make_aware(datetime.datetime(2025, 9, 1)),
        )
        # As every writer in bulk says what it wrote (the kept roster page is read again).
        rows_written.send(sender=Application, cohort_ids={cohort.pk})

    url = reverse("reports:engagement-roster") + "?programme=grow&year=2025&on=2026-02-01"

    def queries() -> tuple[int, int, str]:
        """Queries of the page read afresh (the first visit after a change), then kept."""
        with CaptureQueriesContext(connection) as afresh:
            drawn = client.get(url).context["rows"]
        with CaptureQueriesContext(connection) as kept:
            response = client.get(url)
        assert response.context["rows"] == drawn
        return len(afresh), len(kept), response.content.decode()

    add_rows(3)
    client.get(url)  # per-process caches fill on the first
    roster_stale()
    *small, small_page = queries()
    add_rows(77)  # 80: two pages
    *large, large_page = queries()

    assert small == large
    assert large[1] < large[0]
    assert "3 school sign-ups" in small_page and "80 school sign-ups" in large_page


def _kept_page(programme=None, on=AUGUST) -> list[RosterLine]:
    return roster_standing_kept(academic_year=2025, on=on, programme=programme).lines[0:50]


def test_a_kept_roster_page_is_the_page_read_afresh_read_in_one_query(
    hub, django_assert_num_queries
):
    afresh = roster_standing(academic_year=2025, on=AUGUST, programme=hub)
    roster_standing_kept(academic_year=2025, on=AUGUST, programme=hub)

    with django_assert_num_queries(1):  # the roster's version with the page kept at it
        kept = roster_standing_kept(academic_year=2025, on=AUGUST, programme=hub)
        lines = kept.lines[0:50]

    assert kept.counts == afresh.counts
    assert lines == afresh.lines[0:50]
    assert {line.status for line in lines} == {
        RosterStatus.ACTIVE,
        RosterStatus.COMPLETED,
        RosterStatus.WITHDRAWN,
    }
    assert lines[0].signed_up_on == D(2025, 9, 10) and lines[0].completed_on == D(2026, 7, 10)


def _renamed(model, called: str, **fields):
    row = model.objects.get(name=called)
    for field, value in fields.items():
        setattr(row, field, value)
    row.save()


def _school_renamed_by_gias(hub):
    School.objects.filter(name="Ash Primary").update(name="Ash Academy")  # as COPY writes
    rows_written.send(sender=School, cohort_ids=set())


def _signed_up(hub):
    _sign_up(Cohort.objects.get(name="February group"), "Juniper Primary", D(2026, 3, 2))


def _place_completed(hub):
    place = SchoolPlace.objects.get(application__school__name="Cedar Primary")
    place.status, place.completed_on = SchoolPlace.Status.COMPLETED, D(2026, 7, 1)
    place.save()


@pytest.mark.parametrize(
    "change, shown",
    [
        (lambda hub: _renamed(School, "Ash Primary", name="Ash Academy"), "Ash Academy"),
        (_school_renamed_by_gias, "Ash Academy"),
        (lambda hub: _renamed(Cohort, "Autumn group", name="Autumn A"), "Autumn A"),
        (lambda hub: _renamed(Programme, "Mastering Number", short_name="MNP"), "MNP"),
        (_place_completed, ("Cedar Primary", RosterStatus.COMPLETED)),
        (_signed_up, ("Juniper Primary", RosterStatus.SIGNED_UP)),
        (lambda hub: Application.objects.get(school__name="Fir Primary").delete(), "gone"),
    ],
    ids=["school", "gias import", "cohort", "programme", "place", "sign-up", "deleted"],
)
def test_a_change_to_what_the_roster_reads_reads_a_kept_page_again(hub, change, shown):
    before = _kept_page()

    change(hub)
    after = _kept_page()

    assert after == roster_standing(academic_year=2025, on=AUGUST).lines[0:50]
    assert after != before
    if shown == "gone":
        assert "Fir Primary" in {line.school for line in before}
        assert "Fir Primary" not in {line.school for line in after}
    elif isinstance(shown, tuple):
        school, status = shown
        assert {line.status for line in after if line.school == school} == {status}
    else:
        assert shown in {value for line in after for value in line[:5]}


def test_a_teachers_own_application_leaves_the_kept_roster_as_it_is(hub, django_assert_num_queries):
    cohort, school = CohortFactory(), SchoolFactory()
    _kept_page()

    ApplicationFactory(cohort=cohort, school=school, status=Application.Status.AWAITING_SCHOOL)

    with django_assert_num_queries(1):
        _kept_page()


def test_a_roster_page_kept_yesterday_is_read_again_today(client, hub):
    with _at(D(2026, 12, 1)):
        _kept_page()
    # Written as nothing that says so would write it: only the day bounds how long it shows.
    School.objects.filter(name="Ash Primary").update(name="Ash Academy")

    with _at(D(2026, 12, 1)):
        yesterday = _kept_page()
    with _at(D(2026, 12, 2)):
        today = _kept_page()

    assert "Ash Primary" in {line.school for line in yesterday}
    assert "Ash Academy" in {line.school for line in today}
    assert list(KeptRosterPage.objects.values_list("day", flat=True)) == [D(2026, 12, 2)]


def _grown_roster(count: int) -> Cohort:
    cohort = CohortFactory(
        programme=work_group_programme(slug="grow"), academic_year=2025, starts_on=D(2025, 10, 1)
    )
    bulk_applications(
        count,
        cohort=cohort,
        team=True,
        status=Application.Status.SCHOOL_APPROVED,
        submitted_at=timezone.make_aware(datetime.datetime(2025, 9, 1)),
    )
    return cohort


def test_the_roster_page_draws_fifty_schools_a_page_and_counts_them_all(client):
    _manager(client)
    _grown_roster(120)
    filters = {"programme": "grow", "year": 2025, "on": "2026-02-01"}
    url = reverse("reports:engagement-roster")

    first = client.get(url, filters)
    last = client.get(url, {**filters, "page": 3})

    assert len(first.context["rows"]) == 50
    assert len(last.context["rows"]) == 20
    assert first.context["roster"].counts["Signed up"] == 120
    html = first.content.decode()
    assert '<th scope="row" class="fw-normal">Signed up</th><td class="text-end">120</td>' in html
    assert "120 school sign-ups, by programme and URN: 1 to 50" in html
    assert "Page 1 of 3" in html
    assert 'href="?programme=grow&amp;year=2025&amp;on=2026-02-01&amp;page=2"' in html
    urns = [row.urn for page in (first, last) for row in page.context["rows"]]
    assert urns == sorted(urns)  # pages follow the roster's order, by URN


def test_the_roster_s_rows_for_an_export_come_in_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    _grown_roster(60)
    programme = Programme.objects.get(slug="grow")

    with django_assert_num_queries(2):  # the sign-ups, their schools and cohorts
        roster = engagement_roster(academic_year=2025, on=FEBRUARY, programme=programme)
        cells = [[column.value(row) for column in ENGAGEMENT_ROSTER.columns] for row in roster.rows]

    assert len(cells) == 60
    assert {row[6] for row in cells} == {"Signed up"}
    assert all(row[1] and row[4].startswith("2025/26, ") for row in cells)


# ---- The hub's area ----


def _area_school(la: str, *, engaged_in=None, **fields) -> School:
    school = SchoolFactory(la_code=la, **fields)
    if engaged_in is not None:
        application = team_sign_up(cohort=engaged_in, school=school)
        application_accept(application=application, by=UserFactory())
    return school


@pytest.fixture
def area():
    """Two authorities in the area, one outside it; hand counted for 2025/26:

    Cheshire West (875): 5 open primary schools (one of them middle deemed primary), 2 engaged
    (one completed); of the other 3, one was engaged only in 2024/25 and one holds a place in
    an NPQ cohort; a closed primary and a secondary school, both engaged, are not counted.
    Wirral (344): 2 open primary schools, none engaged (one withdrew).
    Halton (876), not in the area: one engaged school.
    """
    for code, name in (("875", "Cheshire West"), ("344", "Wirral"), ("876", "Halton")):
        LocalAuthority.objects.create(code=code, name=name)
    hub_area_set(codes=["875", "344"], by=StaffUserFactory())
    programme = work_group_programme()
    this_year = CohortFactory(programme=programme, academic_year=2025, capacity=20)
    last_year = CohortFactory(programme=programme, academic_year=2024, capacity=20)
    npq = CohortFactory(programme=ProgrammeFactory(), academic_year=2025)
    _area_school("875", engaged_in=this_year)
    completed = _area_school("875", engaged_in=this_year, phase_name="Middle deemed primary")
    SchoolPlace.objects.filter(school=completed).update(
        status=SchoolPlace.Status.COMPLETED, completed_on=D(2026, 7, 1)
    )
    _area_school("875", engaged_in=last_year)
    _area_school("875")
    in_an_npq = _area_school("875")
    SchoolPlace.objects.create(  # a place in a cohort of a programme that is not a Work Group
        cohort=npq,
        school=in_an_npq,
        application=bulk_applications(1, cohort=npq, team=True, school=in_an_npq)[0],
    )
    _area_school("875", status_code=School.Status.CLOSED, engaged_in=this_year)
    _area_school("875", phase_name="Secondary", engaged_in=this_year)
    withdrew = _area_school("344", engaged_in=this_year)
    SchoolPlace.objects.filter(school=withdrew).update(
        status=SchoolPlace.Status.WITHDRAWN, withdrawn_on=D(2025, 11, 1)
    )
    _area_school("344")
    _area_school("876", engaged_in=this_year)


def test_the_share_engaged_by_local_authority_matches_the_hand_count(area):
    engagement = hub_area_engagement(academic_year=2025)

    assert [(r.local_authority.name, r.schools, r.engaged, r.percent) for r in engagement.rows] == [
        ("Cheshire West", 5, 2, 40.0),
        ("Wirral", 2, 0, 0.0),
    ]
    total = engagement.total
    assert (total.schools, total.engaged, total.percent) == (7, 2, 28.6)


def test_the_area_is_counted_in_one_query_however_many_schools(area, django_assert_num_queries):
    hub_area_engagement(academic_year=2024)  # on PostgreSQL, prepared once a connection

    with django_assert_num_queries(1):  # the authorities with their schools and places
        hub_area_engagement(academic_year=2025)


def test_the_area_s_own_values_are_written_into_its_sql_on_postgresql_and_the_year_is_not():
    sql, slots = _area_statement(connection.alias)

    if connection.vendor == "postgresql":
        assert slots == [(0, None)]  # the year alone is a parameter
        assert "'Middle deemed primary'" in sql and "'school_team'" in sql
    else:  # nothing prepared: every value a parameter
        assert (0, None) in slots and (None, "Middle deemed primary") in slots
    assert sql.count("%s") == len(slots)


def test_a_school_engaged_in_two_work_groups_is_counted_once():
    LocalAuthority.objects.create(code="875", name="Cheshire West", in_hub_area=True)
    first = CohortFactory(programme=work_group_programme(slug="one"), academic_year=2025)
    second = CohortFactory(programme=work_group_programme(slug="two"), academic_year=2025)
    school = _area_school("875", engaged_in=first)
    application_accept(application=team_sign_up(cohort=second, school=school), by=UserFactory())

    (row,) = hub_area_engagement(academic_year=2025).rows

    assert (row.schools, row.engaged) == (1, 1)


def test_the_places_that_engage_a_school_are_those_holding_a_place():
    cohort = CohortFactory(programme=work_group_programme(), academic_year=2025)
    ends = {
        "completed": {"completed_on": D(2026, 7, 1)},
        "withdrawn": {"withdrawn_on": D(2026, 1, 5)},
    }
    for status in SchoolPlace.Status:
        (application,) = bulk_applications(1, cohort=cohort, team=True)
        SchoolPlace.objects.create(
            cohort=cohort,
            school_id=application.school_id,
            application=application,
            status=status,
            **ends.get(status, {}),
        )

    holding = SchoolPlace.objects.holding_a_place().values_list("status", flat=True)

    assert sorted(holding) == sorted(HOLDING_A_PLACE)


def test_open_primary_schools_are_open_or_proposed_to_close_and_primary_or_middle_deemed():
    statuses = list(School.Status)
    for status in statuses:
        for phase in ("Primary", "Middle deemed primary", "Secondary", ""):
            SchoolFactory(status_code=status, phase_name=phase, name=f"{status.label} {phase}")

    counted = School.objects.open_primary().values_list("status_code", "phase_name")

    assert sorted(counted) == sorted(
        (status, phase)
        for status in (School.Status.OPEN, School.Status.OPEN_PROPOSED_TO_CLOSE)
        for phase in ("Primary", "Middle deemed primary")
    )


def test_last_years_engagement_is_counted_in_its_own_year(area):
    engagement = hub_area_engagement(academic_year=2024)

    assert [(r.local_authority.code, r.engaged) for r in engagement.rows] == [
        ("875", 1),
        ("344", 0),
    ]


def test_the_area_page_shows_the_table_and_its_bars(client, area):
    _manager(client)

    page = client.get(reverse("reports:engagement-area"), {"year": "2025"})

    html = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="row" class="fw-normal">Cheshire West</th>' in html
    assert "2 of 7 open primary schools engaged (28.6%)" in html
    assert 'width="40.0%"' in html  # Cheshire West's bar
    assert "Halton" not in html


def test_the_area_pages_query_count_does_not_grow_with_authorities_and_schools(client):
    _manager(client)
    cohort = CohortFactory(programme=work_group_programme(), academic_year=2025)

    def add_rows(count):
        start = LocalAuthority.objects.count()
        codes = [f"{start + i:03d}" for i in range(count)]
        LocalAuthority.objects.bulk_create(
            LocalAuthority(code=code, name=f"Authority {code}", in_hub_area=True) for code in codes
        )
        for code in codes:
            schools = bulk_schools(2, la_code=code)
            places = bulk_applications(1, cohort=cohort, team=True, school=schools[0])
            SchoolPlace.objects.create(cohort=cohort, school=schools[0], application=places[0])

    url = reverse("reports:engagement-area") + "?year=2025"
    # Read afresh each time (LocalAuthority's bulk_create says nothing of what it wrote).
    afresh = KeptAreaPage.objects.all().delete
    assert_queries_do_not_grow(client, url, add_rows, sizes=(3, 20), before_each=afresh)


def _area_figures(client, year="2025") -> list[tuple]:
    page = client.get(reverse("reports:engagement-area"), {"year": year})
    assert page.status_code == 200
    rows = page.context["area"].rows
    return [(row.local_authority.name, row.schools, row.engaged) for row in rows]


def test_the_area_page_kept_is_the_page_read_afresh_read_in_one_query(client, area, monkeypatch):
    _manager(client)
    with _at(D(2026, 3, 1)):  # in 2025/26
        afresh = _area_figures(client)
        client.get(reverse("reports:engagement-area"))  # this year's, kept apart

    def read(**kwargs):
        raise AssertionError("the kept page was read again")

    monkeypatch.setattr("reports.engagement.hub_area_engagement", read)
    monkeypatch.setattr("reports.engagement.work_group_years", read)
    with _at(D(2026, 3, 1)), CaptureQueriesContext(connection) as kept:
        page = client.get(reverse("reports:engagement-area"), {"year": "2025"})

    area_rows = page.context["area"].rows
    assert [(r.local_authority.name, r.schools, r.engaged) for r in area_rows] == afresh
    assert afresh == [("Cheshire West", 5, 2), ("Wirral", 2, 0)]
    assert page.context["years"] == [(2025, "2025/26"), (2024, "2024/25")]
    assert page.context["academic_year"] == 2025
    assert "2 of 7 open primary schools engaged (28.6%)" in page.content.decode()
    assert not [query for query in kept.captured_queries if "la_code" in query["sql"]]
    assert sorted(KeptAreaPage.objects.values_list("asked", flat=True)) == [0, 2025]


def _place_withdrawn(area):
    place = SchoolPlace.objects.filter(school__la_code="875", cohort__academic_year=2025).first()
    place.status, place.withdrawn_on = SchoolPlace.Status.WITHDRAWN, D(2026, 1, 5)
    place.save()


def _school_closed_by_gias(area):
    School.objects.filter(la_code="344").update(status_code=School.Status.CLOSED)  # as COPY
    rows_written.send(sender=School, cohort_ids=set())


def _cohort_moved_a_year(area):
    cohort = Cohort.objects.get(academic_year=2024)
    cohort.academic_year = 2025
    cohort.save()


def _this_years_work_group() -> Cohort:
    return Cohort.objects.get(academic_year=2025, programme__participation=TEAMS)


def _no_longer_a_work_group(area):
    programme = _this_years_work_group().programme
    programme.participation = Programme.Participation.INDIVIDUAL
    programme.save()


@pytest.mark.parametrize(
    "change, after",
    [
        (_place_withdrawn, [("Cheshire West", 5, 1), ("Wirral", 2, 0)]),
        (
            lambda area: _area_school("344", engaged_in=_this_years_work_group()),
            [("Cheshire West", 5, 2), ("Wirral", 3, 1)],
        ),
        (_school_closed_by_gias, [("Cheshire West", 5, 2), ("Wirral", 0, 0)]),
        (_cohort_moved_a_year, [("Cheshire West", 5, 3), ("Wirral", 2, 0)]),
        (
            lambda area: _renamed(LocalAuthority, "Wirral", name="Wirral Council"),
            [("Cheshire West", 5, 2), ("Wirral Council", 2, 0)],
        ),
        (
            lambda area: hub_area_set(codes=["875", "876"], by=StaffUserFactory()),
            [("Cheshire West", 5, 2), ("Halton", 1, 1)],
        ),
        (_no_longer_a_work_group, [("Cheshire West", 5, 0), ("Wirral", 2, 0)]),
    ],
    ids=["place", "school", "gias import", "cohort", "authority", "hub's area", "programme"],
)
def test_a_change_to_what_the_area_page_reads_reads_it_again(client, area, change, after):
    _manager(client)
    before = _area_figures(client)

    change(area)

    assert _area_figures(client) == after != before
    assert after == [
        (row.local_authority.name, row.schools, row.engaged)
        for row in hub_area_engagement(academic_year=2025).rows
    ]


def test_an_area_page_kept_yesterday_is_read_again_today(client, area):
    _manager(client)
    with _at(D(2026, 3, 1)):
        _area_figures(client)
    # Written as nothing that says so would write it: only the day bounds how long it shows.
    LocalAuthority.objects.filter(code="344").update(name="Wirral Council")

    with _at(D(2026, 3, 1)):
        yesterday = _area_figures(client)
    with _at(D(2026, 3, 2)):
        today = _area_figures(client)

    assert yesterday[1][0] == "Wirral" and today[1][0] == "Wirral Council"
    assert list(KeptAreaPage.objects.values_list("day", flat=True)) == [D(2026, 3, 2)]


@pytest.mark.parametrize("asked", ["", "1999", "2023", "99999999999", "twenty"])
def test_a_year_not_to_be_had_shows_this_years_area_and_keeps_one_page_for_all(client, area, asked):
    _manager(client)
    with _at(D(2026, 3, 1)):  # in 2025/26
        page = client.get(reverse("reports:engagement-area"), {"year": asked})
        client.get(reverse("reports:engagement-area"), {"year": "0"})

    assert page.status_code == 200
    assert page.context["academic_year"] == 2025
    assert "2 of 7 open primary schools engaged" in page.content.decode()
    expected = [2023] if asked == "2023" else []
    assert sorted(KeptAreaPage.objects.values_list("asked", flat=True)) == [0, *expected]


def test_staff_set_the_hub_area_and_an_unknown_code_changes_nothing(client):
    LocalAuthority.objects.create(code="875", name="Cheshire West", in_hub_area=True)
    LocalAuthority.objects.create(code="344", name="Wirral")
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    response = client.post(reverse("schools:hub-area"), {"local_authorities": ["344"]})

    assert response.status_code == 302
    assert list(LocalAuthority.objects.filter(in_hub_area=True).values_list("code", flat=True)) == [
        "344"
    ]
    with pytest.raises(ValidationError, match="No local authority has the code 999"):
        hub_area_set(codes=["875", "999"], by=StaffUserFactory())
    assert list(LocalAuthority.objects.filter(in_hub_area=True).values_list("code", flat=True)) == [
        "344"
    ]


def test_a_programme_lead_sees_the_area_but_may_not_change_it(client):
    _manager(client)

    assert client.get(reverse("reports:engagement-area")).status_code == 200
    assert client.get(reverse("schools:hub-area")).status_code == 403
