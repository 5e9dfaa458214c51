"""The milestone days kept per place (reports/milestone_days.py): they say what working every
place out afresh says, on any later day; every change through the services marks its cohort
out of date; bringing them up to date costs the same queries however many places. The counts
kept for a day say what counting the places afresh says, and are counted again on another day
or after any change."""

import datetime
import threading
import weakref

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from cohorts.models import Cohort
from cohorts.services import session_save
from funding.services import funding_decision_override
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from npq_portal.tests.threads import run_together
from participants.models import Enrolment
from participants.services import enrolment_change, register_take
from reports import milestone_days
from reports.milestone_days import (
    CohortCounts,
    claimable_q,
    due_q,
    kept_status,
    milestone_counts,
    milestone_page_places,
    milestones_bring_up_to_date,
    stale_cohorts,
    with_next_due,
)
from reports.milestones import (
    DEFERRED,
    WITHDRAWN,
    MilestoneFacts,
    MilestoneRules,
    days_as_of,
    evidence_days,
    milestone_schedule,
    milestone_status,
    status_from_days,
)
from reports.models import CohortMilestoneCounts, CohortMilestones, PlaceMilestones
from reports.selectors import enrolments_milestones

from .helpers import (
    at,
    finish_phase,
    funded_place,
    leadership_cohort,
    module_window,
    released_outcome,
    session,
    take_register,
)

RULES = MilestoneRules.from_setting(None)
DAYS = st.dates(datetime.date(2027, 9, 1), datetime.date(2029, 12, 31))


# ---- The rules: days kept without a cut-off, read as of a day, say what the day says ----


@given(
    status=st.sampled_from(["active", "completed", WITHDRAWN, DEFERRED]),
    stopped_on=st.none() | DAYS,
    evidence=st.lists(DAYS, max_size=12),
    extra=st.integers(0, 8),
    passed_on=st.none() | DAYS,
    today=DAYS,
    length_months=st.sampled_from([None, 12, 18]),
)
def test_days_kept_without_a_cut_off_read_as_of_a_day_decide_as_that_day_does(
    status, stopped_on, evidence, extra, passed_on, today, length_months
):
    facts = MilestoneFacts(
        status=status,
        stopped_on=stopped_on,
        evidence_on=tuple(evidence),
        evidence_total=len(evidence) + extra,
        passed_on=passed_on,
    )
    schedule = milestone_schedule(
        starts_on=datetime.date(2027, 10, 1),
        ends_on=datetime.date(2029, 3, 31),
        length_months=length_months,
        rules=RULES,
    )
    kept = evidence_days(facts=facts, rules=RULES, today=None)

    from_kept = status_from_days(
        days=days_as_of(kept, today),
        schedule=schedule,
        stopped=status in (WITHDRAWN, DEFERRED),
        today=today,
    )

    assert from_kept == milestone_status(facts=facts, schedule=schedule, rules=RULES, today=today)


# ---- The database: kept days against working every place out afresh ----


def _person(first_name):
    return UserFactory(first_name=first_name, last_name="Tester")


@pytest.fixture
def places(db):
    """Six places of an 18-month cohort with registers, phases and a pass between them; one
    withdrawn, one deferred."""
    with time_machine.travel(at(2027, 9, 1)):
        cohort = leadership_cohort(name="Autumn start, Chester")
        people = {
            name: funded_place(cohort, _person(name))
            for name in ("Ada", "Ben", "Cat", "Dan", "Eve", "Fay")
        }
    ada, ben, cat, dan, eve, fay = people.values()
    meetings = [session(cohort, at(2027, 10, 12)), session(cohort, at(2027, 11, 9))]
    meetings += [session(cohort, at(2028, 1, 18)), session(cohort, at(2028, 4, 25))]
    window = module_window(
        cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 29),
        application_due_on=datetime.date(2027, 12, 10),
    )
    take_register(meetings[0], {ada: "present", ben: "absent", cat: "late", dan: "present"})
    take_register(meetings[1], {ada: "present", ben: "present", eve: "present"})
    finish_phase(ada, window, "study", at(2027, 10, 25))
    finish_phase(ada, window, "application", at(2027, 12, 2))
    finish_phase(cat, window, "study", at(2028, 1, 5))
    with time_machine.travel(at(2027, 11, 20)):
        enrolment_change(enrolment=dan, to="withdrawn", by=StaffUserFactory(), reason="workload")
        enrolment_change(
            enrolment=fay, to="deferred", by=StaffUserFactory(), reason="parental_leave"
        )
    take_register(meetings[2], {ada: "present", cat: "present", eve: "absent"})
    take_register(meetings[3], {ada: "present", cat: "present"})
    released_outcome(ada, "passed", at(2029, 5, 2))
    return cohort, meetings, window


def _kept_against_afresh(cohort, today):
    """Assert that what the pages read from the kept days is what working out says."""
    milestones_bring_up_to_date(cohorts=Cohort.objects.filter(pk=cohort.pk))
    places = list(
        Enrolment.objects.filter(cohort=cohort).select_related(
            "cohort__programme", "kept_milestones"
        )
    )
    afresh = enrolments_milestones(enrolments=places, today=today)
    listed = with_next_due(Enrolment.objects.filter(cohort=cohort), today)
    claimable = set(listed.filter(claimable_q(today)).values_list("pk", flat=True))
    due = set(listed.filter(due_q(today)).values_list("pk", flat=True))
    for place in places:
        assert kept_status(place, today) == afresh[place.pk], (place.participant, today)
    funded = set(Enrolment.objects.filter(cohort=cohort).funded().values_list("pk", flat=True))
    assert {p.pk for p in places if p.kept_milestones.funded} == funded
    assert claimable == {pk for pk, status in afresh.items() if status.claimable}, today
    assert due == {pk for pk, status in afresh.items() if status.due}, today
    for funded_only in (False, True):
        counted = [p.pk for p in places if p.kept_milestones.funded or not funded_only]
        expected = CohortCounts(
            cohort.pk,
            len(counted),
            sum(1 for pk in counted if afresh[pk].claimable),
            sum(1 for pk in counted if afresh[pk].due),
        )
        assert milestone_counts(
            Cohort.objects.filter(pk=cohort.pk), today, funded_only=funded_only
        ) == [expected], (today, funded_only)


@pytest.mark.parametrize(
    "today",
    [
        datetime.date(2027, 10, 1),
        datetime.date(2027, 10, 12),
        datetime.date(2027, 12, 22),  # the started milestone
        datetime.date(2027, 12, 23),
        datetime.date(2028, 3, 1),
        datetime.date(2028, 5, 6),
        datetime.date(2028, 10, 18),
        datetime.date(2029, 5, 2),  # the pass is released
        datetime.date(2029, 8, 1),  # every milestone passed
    ],
)
def test_the_kept_days_say_what_working_out_afresh_says_on_any_day(places, today):
    cohort, *_ = places

    with time_machine.travel(datetime.datetime.combine(today, datetime.time(23))):
        _kept_against_afresh(cohort, today)


def test_a_kept_cohort_is_not_worked_out_again_until_something_changes(places):
    cohort, meetings, window = places
    assert milestones_bring_up_to_date(cohorts=Cohort.objects.all()) == 1

    with CaptureQueriesContext(connection) as queries:
        worked = milestones_bring_up_to_date(cohorts=Cohort.objects.all())

    assert worked == 0
    assert len(queries) == 1


def _correct(meeting, place, by):
    with time_machine.travel(meeting.starts_at + datetime.timedelta(hours=2)):
        register_take(session=meeting, marks={place.pk: "present"}, by=by, reason="signed late")


def _move(meeting, by):
    meeting.refresh_from_db()
    meeting.starts_at += datetime.timedelta(days=35)
    meeting.ends_at += datetime.timedelta(days=35)
    session_save(session=meeting, by=by, reason="the room", confirm_day=True)


def _changes(places):
    """Changes through the services, each with the day after which they are checked."""
    cohort, meetings, window = places
    ben = Enrolment.objects.get(cohort=cohort, participant__first_name="Ben")
    cat = Enrolment.objects.get(cohort=cohort, participant__first_name="Cat")
    eve = Enrolment.objects.get(cohort=cohort, participant__first_name="Eve")
    fay = Enrolment.objects.get(cohort=cohort, participant__first_name="Fay")
    staff = StaffUserFactory()
    return [
        ("a register taken", lambda: take_register(meetings[2], {ben: "present"})),
        ("a mark corrected", lambda: _correct(meetings[0], ben, staff)),
        ("a phase finished", lambda: finish_phase(eve, window, "study", at(2028, 2, 1))),
        ("a pass released", lambda: released_outcome(cat, "passed", at(2028, 6, 1))),
        (
            "a place resumed",
            lambda: enrolment_change(enrolment=fay, to="active", by=staff, reason="back"),
        ),
        ("a session moved", lambda: _move(meetings[3], staff)),
        ("the cohort's dates", lambda: Cohort.objects.get(pk=cohort.pk).save()),
        (
            "funding overridden",
            lambda: funding_decision_override(
                decision=ben.application.funding_decision, funded=False, reason="policy", by=staff
            ),
        ),
    ]


@pytest.mark.parametrize("change", range(8), ids=lambda n: f"change-{n}")
def test_each_change_through_the_services_marks_its_cohort_to_be_worked_out_again(places, change):
    cohort, *_ = places
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    label, make = _changes(places)[change]

    with time_machine.travel(at(2028, 7, 1)):
        make()

    assert stale_cohorts(Cohort.objects.all()) == [cohort.pk], label
    with time_machine.travel(at(2028, 7, 2)):
        _kept_against_afresh(cohort, datetime.date(2028, 7, 2))


@pytest.mark.parametrize("change", range(8), ids=lambda n: f"change-{n}")
def test_counts_kept_for_the_day_are_counted_again_after_each_change(places, change):
    cohort, *_ = places
    label, make = _changes(places)[change]
    with time_machine.travel(at(2028, 7, 2)):
        _kept_against_afresh(cohort, datetime.date(2028, 7, 2))  # counted and kept

        make()

        _kept_against_afresh(cohort, datetime.date(2028, 7, 2))


def test_counts_kept_for_the_day_are_read_in_one_query_until_the_next_day(places):
    cohort, *_ = places
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    today = datetime.date(2028, 3, 1)
    counted = milestone_counts(Cohort.objects.all(), today, funded_only=True)

    with CaptureQueriesContext(connection) as queries:
        again = milestone_counts(Cohort.objects.all(), today, funded_only=True)
        every_place = milestone_counts(Cohort.objects.all(), today, funded_only=False)

    assert again == counted
    assert [c.all for c in every_place] == [6]
    assert len(queries) == 2
    assert CohortMilestoneCounts.objects.get(cohort=cohort).day == today
    with time_machine.travel(at(2028, 3, 2, 10)):
        _kept_against_afresh(cohort, datetime.date(2028, 3, 2))
    assert CohortMilestoneCounts.objects.get(cohort=cohort).day == datetime.date(2028, 3, 2)


def test_counts_of_days_not_current_are_not_kept(places, monkeypatch):
    """Counted while the cohort's days are out of date (changed again after they were brought
    up to date, before they were counted), the counts are shown but not kept."""
    cohort, meetings, _ = places
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    kept = CohortMilestoneCounts.objects.filter(cohort=cohort).values_list("day", "version")
    before = list(kept.all())
    ben = Enrolment.objects.get(cohort=cohort, participant__first_name="Ben")
    take_register(meetings[2], {ben: "present"})
    # The change lands just after the days were brought up to date: as if they had not been.
    monkeypatch.setattr(milestone_days, "milestones_bring_up_to_date", lambda cohorts: 0)

    counts = milestone_counts(Cohort.objects.all(), datetime.date(2028, 3, 1), funded_only=False)

    assert [c.all for c in counts] == [6]
    assert list(kept.all()) == before != []


def test_counting_brings_a_changed_cohorts_days_up_to_date_first_and_keeps_its_counts(places):
    cohort, meetings, _ = places
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    ben = Enrolment.objects.get(cohort=cohort, participant__first_name="Ben")
    take_register(meetings[2], {ben: "present"})
    assert stale_cohorts(Cohort.objects.all()) == [cohort.pk]

    counts = milestone_counts(Cohort.objects.all(), datetime.date(2028, 3, 1), funded_only=False)

    assert [c.all for c in counts] == [6]
    assert stale_cohorts(Cohort.objects.all()) == []
    version = CohortMilestones.objects.get(cohort=cohort).version
    kept = CohortMilestoneCounts.objects.get(cohort=cohort)
    assert (kept.day, kept.version) == (datetime.date(2028, 3, 1), version)
    with time_machine.travel(at(2028, 3, 1, 10)):
        _kept_against_afresh(cohort, datetime.date(2028, 3, 1))


def test_working_a_cohort_out_keeps_its_counts_for_today(places):
    """So that the first page after a change reads them rather than counting."""
    cohort, *_ = places
    with time_machine.travel(at(2028, 3, 1, 10)):
        milestones_bring_up_to_date(cohorts=Cohort.objects.all())
        counted = CohortMilestoneCounts.objects.get(cohort=cohort)

        with CaptureQueriesContext(connection) as queries:
            milestone_counts(Cohort.objects.all(), datetime.date(2028, 3, 1), funded_only=True)

        assert counted.day == datetime.date(2028, 3, 1)
        assert len(queries) == 1
        _kept_against_afresh(cohort, datetime.date(2028, 3, 1))


def test_other_rules_have_every_cohort_worked_out_again(places, settings):
    cohort, *_ = places
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())

    settings.MILESTONES = {"retained_1_percent": 20}

    assert stale_cohorts(Cohort.objects.all()) == [cohort.pk]
    with time_machine.travel(at(2028, 3, 1)):
        _kept_against_afresh(cohort, datetime.date(2028, 3, 1))


def test_a_cohort_of_a_programme_with_no_declarations_keeps_nothing(db):
    cohort = leadership_cohort()
    cohort.programme.course_identifier = ""
    cohort.programme.save()
    funded_place(cohort, _person("Max"))

    assert milestones_bring_up_to_date(cohorts=Cohort.objects.all()) == 0
    assert not PlaceMilestones.objects.exists()


def _worked_out_with(count):
    """The statements bringing a new cohort of `count` places up to date makes, leaving out
    the rows it writes (one INSERT on PostgreSQL; SQLite takes 99 rows a statement)."""
    with time_machine.travel(at(2027, 9, 1)):
        cohort = leadership_cohort()
        for n in range(count):
            funded_place(cohort, _person(f"P{n}"))
    meeting = session(cohort, at(2027, 10, 12))
    take_register(meeting, {e: "present" for e in Enrolment.objects.filter(cohort=cohort)})
    with CaptureQueriesContext(connection) as queries:
        milestones_bring_up_to_date(cohorts=Cohort.objects.filter(pk=cohort.pk))
    assert PlaceMilestones.objects.filter(cohort=cohort).count() == count
    kept = CohortMilestones.objects.get(cohort=cohort)
    assert kept.worked_out == kept.version
    return [q["sql"] for q in queries if 'INSERT INTO "reports_placemilestones"' not in q["sql"]]


def test_working_out_takes_the_same_queries_however_many_places(db):
    few, many = _worked_out_with(3), _worked_out_with(120)

    assert len(few) == len(many), "\n".join(many)


# ---- Races (PostgreSQL): a change committed while a cohort is worked out is never lost ----


def _race_cohort():
    with time_machine.travel(at(2027, 9, 1)):
        cohort = leadership_cohort()
        place = funded_place(cohort, _person("Ada"))
    meeting = session(cohort, at(2027, 10, 12))
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    return cohort, place, meeting


def _started_on(place):
    return PlaceMilestones.objects.get(enrolment=place).started_on


@pytest.mark.django_db(transaction=True)
def test_working_out_waits_for_a_change_being_written_and_includes_it():
    """(A cohort kept current when a writer starts is not waited for: its version moves on
    when the writer commits, and the next page works it out.)"""
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    cohort, place, meeting = _race_cohort()
    Cohort.objects.get(pk=cohort.pk).save()  # out of date, so it is worked out below
    marked, worked = threading.Event(), threading.Event()

    def write():
        with time_machine.travel(at(2027, 10, 12, 17)), transaction.atomic():
            register_take(session=meeting, marks={place.pk: "present"}, by=None)
            marked.set()  # the cohort's row is locked until this commits
            worked.wait(timeout=1)  # working out must not finish before the commit

    def work_out():
        marked.wait(timeout=10)
        milestones_bring_up_to_date(cohorts=Cohort.objects.all())
        worked.set()

    run_together(write=write, work_out=work_out)

    assert _started_on(place) == datetime.date(2027, 10, 12)
    assert stale_cohorts(Cohort.objects.all()) == []


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_the_facts_were_read_has_the_cohort_worked_out_again(
    monkeypatch,
):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    cohort, place, meeting = _race_cohort()
    Cohort.objects.get(pk=cohort.pk).save()  # out of date, so it is worked out below
    read, written = threading.Event(), threading.Event()
    real = milestone_days.enrolments_milestone_days

    def read_then_pause(**kwargs):
        found = real(**kwargs)
        read.set()
        written.wait(timeout=1)  # the writer waits on the cohort's lock meanwhile
        return found

    monkeypatch.setattr(milestone_days, "enrolments_milestone_days", read_then_pause)

    def work_out():
        milestones_bring_up_to_date(cohorts=Cohort.objects.all())

    def write():
        read.wait(timeout=10)
        with time_machine.travel(at(2027, 10, 12, 17)):
            register_take(session=meeting, marks={place.pk: "present"}, by=None)
        written.set()

    run_together(work_out=work_out, write=write)

    assert _started_on(place) is None  # worked out from what was there before the mark
    assert stale_cohorts(Cohort.objects.all()) == [cohort.pk]
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    assert _started_on(place) == datetime.date(2027, 10, 12)


def test_a_milestone_pages_places_are_freed_as_soon_as_they_are_let_go_of(
    places, no_cycle_collector
):
    cohort, *_ = places
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    ids = list(Enrolment.objects.filter(cohort=cohort).values_list("pk", flat=True))

    found = milestone_page_places(ids)
    place = next(iter(found.values()))
    kept = place.kept_milestones  # read with the place, across their one-to-one relation
    watched = [weakref.ref(place), weakref.ref(kept), weakref.ref(place.cohort)]
    del found, place, kept

    # Freed by reference counting: the kept days do not refer back to their place (which
    # made a cycle of each place, and everything it reached, for the cycle collector).
    assert [ref() for ref in watched] == [None, None, None]
