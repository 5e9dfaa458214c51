import datetime
import io
import threading
from fractions import Fraction
from types import SimpleNamespace as Row

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cohorts.models import Session
from cohorts.tests.factories import CohortFactory, ModuleWindowFactory, SessionFactory
from npq_portal.tests.factories import StaffUserFactory
from participants import services
from participants.models import Attendance, AttendanceChange, ModulePhaseDone
from participants.participation import ATTENDED, EXCUSED, participation_count
from participants.selectors import (
    ParticipationFacts,
    enrolment_participation,
    enrolments_participation,
    participation_facts,
    participation_of,
)
from participants.services import module_phase_set, register_import, register_take

from .factories import EnrolmentFactory

UTC = datetime.UTC
pytestmark = pytest.mark.django_db


def test_attended_and_excused_are_marks_a_register_can_hold():
    # participation.py stays free of Django, so it names the marks as text: they must stay the
    # register's own marks, or a renamed mark would silently count as missed.
    assert ATTENDED == {Attendance.Mark.PRESENT, Attendance.Mark.LATE}
    assert EXCUSED == Attendance.Mark.EXCUSED


def test_the_worked_example():
    # Ten sessions in the programme; five registers taken so far. Three modules, six phases;
    # modules 1 and 2 (four phases) are due so far.
    participation = participation_count(
        registers_taken=[1, 2, 3, 4, 5],
        sessions_total=10,
        marks={1: "present", 2: "late", 3: "absent", 4: "excused"},  # no mark on 5: missed
        phases_due={(1, "study"), (1, "application"), (2, "study"), (2, "application")},
        phases_total={(m, p) for m in (1, 2, 3) for p in ("study", "application")},
        phases_done={(1, "study"), (1, "application"), (2, "study"), (3, "study")},
    )

    # So far: 2 sessions attended of 4 due (the excused one is not due) and 3 phases of 4.
    assert participation.so_far == Fraction(2 + 3, 4 + 4)
    assert participation.so_far_percent == 62  # 62.5%, rounded down
    # Whole programme: 9 sessions (10 less the excused one) and 6 phases; 2 + 4 done.
    assert participation.overall == Fraction(6, 15)
    assert participation.overall_percent == 40
    # Absent on 3, excused on 4, no mark on 5: two misses in a row (an excusal is no break).
    assert participation.missed_two_in_a_row
    assert participation.at_risk(90)


@pytest.mark.parametrize(("attended", "meets"), [(89, False), (90, True), (100, True)])
def test_the_threshold_is_at_or_above_ninety_percent(attended, meets):
    marks = {n: "present" if n < attended else "excused" for n in range(100)}
    marks.update({n: "absent" for n in range(attended, 100)})
    participation = participation_count(
        registers_taken=list(range(100)),
        sessions_total=100,
        marks=marks,
        phases_due=set(),
        phases_total=set(),
        phases_done=set(),
    )

    assert participation.meets(90) is meets
    assert participation.so_far_percent == attended


def test_before_anything_is_due_no_one_is_behind():
    participation = participation_count(
        registers_taken=[],
        sessions_total=4,
        marks={},
        phases_due=set(),
        phases_total={(1, "study")},
        phases_done=set(),
    )

    assert participation.so_far is None and participation.so_far_percent is None
    assert participation.meets(90) and not participation.at_risk(90)
    assert participation.overall_percent == 0


def _cohort_with_sessions(count=3, people=2):
    cohort = CohortFactory()
    sessions = [
        SessionFactory(
            cohort=cohort,
            starts_at=datetime.datetime(2027, 11, 1 + 7 * n, 16, tzinfo=UTC),
            ends_at=datetime.datetime(2027, 11, 1 + 7 * n, 17, tzinfo=UTC),
        )
        for n in range(count)
    ]
    with time_machine.travel(datetime.datetime(2027, 9, 1, tzinfo=UTC)):
        enrolments = [EnrolmentFactory(cohort=cohort) for _ in range(people)]
    return cohort, sessions, enrolments


@time_machine.travel(datetime.datetime(2027, 11, 1, 16, 5, tzinfo=UTC))
def test_taking_a_register_then_correcting_it_with_a_reason():
    cohort, (session, *_), (ada, ben) = _cohort_with_sessions()
    facilitator = StaffUserFactory()

    result = register_take(
        session=session, marks={ada.pk: "present", ben.pk: "absent"}, by=facilitator
    )
    assert (result.recorded, result.corrected) == (2, 0)

    with pytest.raises(ValidationError, match="1 mark already recorded would change: say why"):
        register_take(session=session, marks={ben.pk: "late"}, by=facilitator)
    assert Attendance.objects.get(enrolment=ben).mark == "absent"  # unchanged

    register_take(
        session=session, marks={ben.pk: "late"}, by=facilitator, reason="Arrived at 16:20"
    )
    change = AttendanceChange.objects.get()
    assert (change.from_mark, change.to_mark, change.reason, change.by) == (
        "absent",
        "late",
        "Arrived at 16:20",
        facilitator,
    )
    assert Attendance.objects.get(enrolment=ben).mark == "late"


@time_machine.travel(datetime.datetime(2027, 10, 31, 12, tzinfo=UTC))
def test_a_register_cannot_be_taken_before_the_day():
    cohort, (session, *_), (ada, _) = _cohort_with_sessions()

    with pytest.raises(ValidationError, match="take its register on the day"):
        register_take(session=session, marks={ada.pk: "present"}, by=None)

    assert not Attendance.objects.exists()


@time_machine.travel(datetime.datetime(2027, 11, 1, 18, tzinfo=UTC))
def test_a_register_refuses_a_cancelled_session_someone_not_on_it_and_an_unknown_mark():
    cohort, (session, *_), (ada, _) = _cohort_with_sessions()
    stranger = EnrolmentFactory()

    with pytest.raises(ValidationError, match="not on this session's register"):
        register_take(session=session, marks={stranger.pk: "present"}, by=None)
    with pytest.raises(ValidationError, match="Choose present, late, absent or excused"):
        register_take(session=session, marks={ada.pk: "asleep"}, by=None)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    with pytest.raises(ValidationError, match="scheduled sessions only"):
        register_take(session=session, marks={ada.pk: "present"}, by=None)

    assert not Attendance.objects.exists()


@time_machine.travel(datetime.datetime(2027, 11, 1, 18, tzinfo=UTC))
def test_importing_an_online_sessions_attendance_from_a_csv_of_emails():
    cohort, (session, *_), (ada, ben) = _cohort_with_sessions()
    carla = EnrolmentFactory(cohort=cohort)
    register_take(session=session, marks={carla.pk: "excused"}, by=None)
    report = (
        "Full Name,User Action,Email\r\n"
        f"Ada,Joined,{ada.participant.email.upper()}\r\n"
        "Guest,Joined,guest@elsewhere.example\r\n"
        f"Ada,Left,{ada.participant.email}\r\n"
    )

    result = register_import(session=session, source=io.BytesIO(report.encode()), by=None)

    marks = dict(Attendance.objects.values_list("enrolment_id", "mark"))
    assert marks[ada.pk] == "present" and marks[ben.pk] == "absent"
    assert marks[carla.pk] == "excused"  # an excusal stands
    assert result.present == 1 and result.not_on_register == ["guest@elsewhere.example"]


@time_machine.travel(datetime.datetime(2027, 11, 1, 18, tzinfo=UTC))
def test_an_import_with_a_bad_row_names_it_and_changes_nothing():
    cohort, (session, *_), (ada, _) = _cohort_with_sessions()
    report = f"Email\n{ada.participant.email}\nnot-an-address\n"

    with pytest.raises(ValidationError, match="Row 3: “not-an-address” is not an email"):
        register_import(session=session, source=io.BytesIO(report.encode()), by=None)

    assert not Attendance.objects.exists()


@time_machine.travel(datetime.datetime(2027, 11, 1, 18, tzinfo=UTC))
def test_a_bad_row_late_in_an_import_writes_nothing_even_over_a_register_already_taken():
    cohort, (session, *_), (ada, ben) = _cohort_with_sessions()
    register_take(session=session, marks={ada.pk: "absent", ben.pk: "absent"}, by=None)
    report = "Email\n" + "".join(f"guest{n}@elsewhere.example\n" for n in range(200))
    report += f"{ada.participant.email}\n{ben.participant.email}\nnot-an-address\n"

    with pytest.raises(ValidationError, match="Row 204: “not-an-address” is not an email"):
        register_import(
            session=session, source=io.BytesIO(report.encode()), by=None, reason="Teams report"
        )

    assert set(Attendance.objects.values_list("mark", flat=True)) == {"absent"}
    assert not AttendanceChange.objects.exists()


@pytest.mark.django_db(transaction=True)
@time_machine.travel(datetime.datetime(2027, 11, 1, 18, tzinfo=UTC))
def test_a_correction_saved_while_an_import_runs_is_not_overwritten_by_it(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    cohort, (session, *_), (ada, ben) = _cohort_with_sessions()
    register_take(session=session, marks={ada.pk: "absent", ben.pk: "absent"}, by=None)
    import_has_read_the_register = threading.Event()
    correction_done = threading.Event()
    real_register_enrolments = services.register_enrolments

    def register_enrolments_then_pause(session):
        # The import has read the marks already recorded; give the correction its chance.
        if (
            threading.current_thread().name == "import"
            and not import_has_read_the_register.is_set()
        ):
            import_has_read_the_register.set()
            correction_done.wait(timeout=2)
        return real_register_enrolments(session)

    monkeypatch.setattr(services, "register_enrolments", register_enrolments_then_pause)

    def run_import():
        try:
            report = f"Email\n{ada.participant.email}\n"
            register_import(
                session=session, source=io.BytesIO(report.encode()), by=None, reason="Teams"
            )
        finally:
            connections.close_all()

    def correct_ben():
        try:
            import_has_read_the_register.wait(timeout=10)
            register_take(session=session, marks={ben.pk: "excused"}, by=None, reason="Apologies")
            correction_done.set()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run_import, name="import"),
        threading.Thread(target=correct_ben, name="correction"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    marks = dict(Attendance.objects.values_list("enrolment_id", "mark"))
    assert marks == {ada.pk: "present", ben.pk: "excused"}


def test_participation_counts_registers_and_module_phases_from_the_database(
    django_assert_num_queries,
):
    cohort, sessions, (ada, ben) = _cohort_with_sessions(count=4)
    window = ModuleWindowFactory(
        cohort=cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 15),
        application_due_on=datetime.date(2027, 11, 20),
    )
    for session, marks in zip(
        sessions[:3],
        [{ada.pk: "present", ben.pk: "absent"}, {ada.pk: "late", ben.pk: "absent"}, {}],
        strict=True,
    ):
        with time_machine.travel(session.starts_at):
            register_take(session=session, marks=marks or {ada.pk: "present"}, by=None)
    with time_machine.travel(datetime.datetime(2027, 10, 10, tzinfo=UTC)):
        module_phase_set(
            enrolment=ada, module=window.module, phase="study", done=True, by=ada.participant
        )

    with time_machine.travel(datetime.datetime(2027, 11, 16, 12, tzinfo=UTC)):
        enrolments_participation(enrolments=[ada, ben])  # prepared first, on PostgreSQL
        with django_assert_num_queries(3):
            figures = enrolments_participation(enrolments=[ada, ben])

    # Due so far: 3 registers and the study phase (the application is due on 20 November).
    assert (figures[ada.pk].so_far_percent, figures[ben.pk].so_far_percent) == (100, 0)
    # Whole programme: 4 sessions and 2 phases. Ada has 3 + 1; Ben, nothing.
    assert figures[ada.pk].overall == Fraction(4, 6)
    assert figures[ben.pk].missed_two_in_a_row and not figures[ada.pk].missed_two_in_a_row


def test_the_facts_leave_out_a_cancelled_session_and_count_a_register_once_it_started(
    django_assert_num_queries,
):
    cohort, sessions, (ada, ben) = _cohort_with_sessions(count=3)
    window = ModuleWindowFactory(cohort=cohort)
    other = EnrolmentFactory(participant=ada.participant)  # Ada's place in another cohort
    ModulePhaseDone.objects.create(enrolment=other, module=window.module, phase="study")
    for session in sessions[:2]:
        with time_machine.travel(session.starts_at):
            register_take(session=session, marks={ada.pk: "present", ben.pk: "absent"}, by=None)
    Session.objects.filter(pk=sessions[1].pk).update(status=Session.Status.CANCELLED)
    # Marks on a register ahead of its session: evidence, but not a register taken yet.
    Attendance.objects.create(session=sessions[2], enrolment=ada, mark="present")

    with time_machine.travel(datetime.datetime(2027, 11, 10, tzinfo=UTC)):
        participation_facts([ada, ben])  # prepared first, on PostgreSQL
        with django_assert_num_queries(3):
            facts = participation_facts([ada, ben])
            course_title = facts.windows[cohort.pk][0].module.course.title
        evidence = participation_facts([ada, ben], started_only=False)

    assert [s.pk for s in facts.sessions[cohort.pk]] == [sessions[0].pk, sessions[2].pk]
    assert facts.taken == {sessions[0].pk, sessions[1].pk}
    assert facts.marks == {
        ada.pk: {sessions[0].pk: "present", sessions[2].pk: "present"},
        ben.pk: {sessions[0].pk: "absent"},
    }
    assert facts.done == {ada.participant_id: {(window.module_id, "study")}}
    assert course_title == window.module.course.title
    assert evidence.taken == {sessions[0].pk, sessions[1].pk, sessions[2].pk}
    assert participation_facts([]).sessions == {}


def test_someone_who_joined_late_owes_only_what_came_after():
    cohort, sessions, (ada, _) = _cohort_with_sessions(count=3)
    for session in sessions[:2]:
        with time_machine.travel(session.starts_at):
            register_take(session=session, marks={ada.pk: "present"}, by=None)
    with time_machine.travel(datetime.datetime(2027, 11, 10, tzinfo=UTC)):
        late_joiner = EnrolmentFactory(cohort=cohort)
    with time_machine.travel(sessions[2].starts_at):
        register_take(session=sessions[2], marks={late_joiner.pk: "present"}, by=None)

    with time_machine.travel(datetime.datetime(2027, 11, 20, tzinfo=UTC)):
        participation = enrolment_participation(late_joiner)

    assert (participation.sessions_due, participation.sessions_attended) == (1, 1)
    assert participation.so_far_percent == 100


@time_machine.travel(datetime.datetime(2027, 10, 2, tzinfo=UTC))
def test_a_participant_ticks_a_phase_of_an_open_module_but_not_one_still_to_open():
    enrolment = EnrolmentFactory()
    open_window = ModuleWindowFactory(cohort=enrolment.cohort)
    later = ModuleWindowFactory(
        cohort=enrolment.cohort,
        opens_on=datetime.date(2027, 12, 1),
        study_due_on=datetime.date(2027, 12, 8),
        application_due_on=datetime.date(2027, 12, 15),
    )
    person = enrolment.participant

    module_phase_set(
        enrolment=enrolment, module=open_window.module, phase="study", done=True, by=person
    )
    with pytest.raises(ValidationError, match="opens on 1 December 2027"):
        module_phase_set(
            enrolment=enrolment, module=later.module, phase="study", done=True, by=person
        )
    module_phase_set(  # staff can record it for them, for example from a paper log
        enrolment=enrolment, module=later.module, phase="study", done=True, by=StaffUserFactory()
    )
    module_phase_set(
        enrolment=enrolment, module=open_window.module, phase="study", done=False, by=person
    )

    assert list(ModulePhaseDone.objects.values_list("module_id", flat=True)) == [later.module_id]


def test_the_facts_are_read_as_the_orm_reads_them_and_by_the_same_statements_however_many():
    cohort, sessions, (ada, ben) = _cohort_with_sessions(count=3)
    window = ModuleWindowFactory(cohort=cohort)
    others = [EnrolmentFactory() for _ in range(2)]
    SessionFactory(cohort=others[0].cohort)

    participation_facts([ada])  # each statement prepared, on PostgreSQL, before counting
    with CaptureQueriesContext(connection) as one:
        facts = participation_facts([ada])
    with CaptureQueriesContext(connection) as more:
        participation_facts([ada, ben, *others])

    assert [vars(s) | {"_state": None} for s in facts.sessions[cohort.pk]] == [
        vars(s) | {"_state": None}
        for s in Session.objects.filter(cohort=cohort).order_by("starts_at", "pk")
    ]
    made = facts.windows[cohort.pk][0]
    assert (made._state.adding, made._state.db) == (False, "default")
    assert made.module.course == window.module.course and made == window
    statements = [[q["sql"].split("(")[0] for q in run] for run in (one, more)]
    if connection.vendor == "postgresql":
        # One array a list of ids: the same three prepared statements for one place or four.
        assert statements[0] == statements[1]
        assert all(sql.startswith("EXECUTE npq_") for sql in statements[0])
    assert len(statements[0]) == len(statements[1]) == 3


@given(
    attended=st.integers(0, 400),
    due=st.integers(0, 400),
    done_due=st.integers(0, 60),
    phases_due=st.integers(0, 60),
    done_total=st.integers(0, 60),
    total=st.integers(0, 800),
    phases_total=st.integers(0, 60),
    threshold=st.integers(0, 100),
)
def test_the_percentages_and_the_threshold_are_the_fractions_figures(
    attended, due, done_due, phases_due, done_total, total, phases_total, threshold
):
    """Worked out in whole numbers, as the exact fractions give them."""
    import math

    from participants.participation import Participation

    figures = Participation(
        sessions_attended=attended,
        sessions_due=due,
        sessions_total=total,
        phases_done_due=done_due,
        phases_due=phases_due,
        phases_done_total=done_total,
        phases_total=phases_total,
        missed_two_in_a_row=False,
    )
    so_far, overall = figures.so_far, figures.overall
    assert figures.so_far_percent == (None if so_far is None else math.floor(so_far * 100))
    assert figures.overall_percent == (None if overall is None else math.floor(overall * 100))
    assert figures.meets(threshold) == (so_far is None or so_far >= Fraction(threshold, 100))


def _owed_since_joining(place, facts, today):
    """Participation as participation_of counted it for everyone before a place owing every
    session and phase was counted once a cohort: what came after joining, or was marked."""
    joined, joined_on = place.created_at, place.created_at.date()
    own_marks = facts.marks[place.pk]
    done = facts.done.get(place.participant_id, set())
    sessions, phases = facts.timings(place.cohort_id)
    theirs = [pk for pk, starts_at in sessions if starts_at >= joined or pk in own_marks]
    their_phases = {key: due for key, due in phases if due >= joined_on or key in done}
    return participation_count(
        registers_taken=[pk for pk in theirs if pk in facts.taken],
        sessions_total=len(theirs),
        marks=own_marks,
        phases_due={key for key, due in their_phases.items() if due < today},
        phases_total=set(their_phases),
        phases_done=done,
    )


DAY = datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC)


@given(
    starts=st.lists(st.integers(0, 60), max_size=6),
    dues=st.lists(st.integers(0, 60), max_size=3),
    joins=st.lists(st.integers(-10, 70), min_size=1, max_size=4),
    taken=st.sets(st.integers(0, 5)),
    marks=st.dictionaries(st.integers(0, 5), st.sampled_from(["present", "absent", "excused"])),
    done=st.sets(st.tuples(st.integers(0, 2), st.sampled_from(["study", "application"]))),
    today=st.integers(0, 70),
)
def test_places_owing_everything_count_as_those_who_joined_late(
    starts, dues, joins, taken, marks, done, today
):
    """Whether a place joined before everything (counted once a cohort) or after some of it,
    its participation is what counting it from its own joining day gives."""
    sessions = [Row(pk=n, starts_at=DAY + datetime.timedelta(days=d)) for n, d in enumerate(starts)]
    windows = [
        Row(
            module_id=n,
            study_due_on=(DAY + datetime.timedelta(days=d)).date(),
            application_due_on=(DAY + datetime.timedelta(days=d + 7)).date(),
        )
        for n, d in enumerate(dues)
    ]
    places = [
        Row(pk=n, cohort_id=1, participant_id=n, created_at=DAY + datetime.timedelta(days=d))
        for n, d in enumerate(joins)
    ]
    facts = ParticipationFacts(
        sessions={1: sessions},
        windows={1: windows},
        taken={pk for pk in taken if pk < len(sessions)},
        marks={
            place.pk: {pk: m for pk, m in marks.items() if pk < len(sessions)} for place in places
        },
        done={0: done},
    )
    on = (DAY + datetime.timedelta(days=today)).date()

    with timezone.override(datetime.UTC):
        for place in places:
            assert participation_of(place, facts, on) == _owed_since_joining(place, facts, on)
