import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError

from cohorts.models import Cohort, Session, SessionChange, TermDateCalendar
from cohorts.selectors import cohort_school_year
from cohorts.services import (
    LONDON,
    cohort_duplicate,
    cohort_move,
    cohort_places_changed,
    session_cancel,
    session_save,
    term_calendar_save,
    timetable_generate,
    timetable_publish,
)
from npq_portal.tests.factories import UserFactory
from programmes.models import Course, Programme
from programmes.services import catalogue_load
from programmes.tests.factories import ClinicFactory, CourseFactory, ProgrammeFactory

from .factories import (
    CohortFactory,
    SchoolHolidayFactory,
    SessionFactory,
    TermDateCalendarFactory,
)

pytestmark = pytest.mark.django_db

S = Cohort.Status


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.DRAFT, S.OPEN),
        (S.DRAFT, S.CANCELLED),
        (S.OPEN, S.CLOSED),
        (S.OPEN, S.FULL),
        (S.OPEN, S.CANCELLED),
        (S.FULL, S.RUNNING),
        (S.CLOSED, S.OPEN),
        (S.CLOSED, S.RUNNING),
        (S.RUNNING, S.COMPLETED),
    ],
)
def test_allowed_moves_happen_and_are_recorded(start, to):
    cohort = CohortFactory(status=start, application_deadline=None)
    if to == S.FULL:
        cohort.places_taken = cohort.capacity  # full means every place is taken
        cohort.save()
    lead = UserFactory()

    cohort = cohort_move(cohort=cohort, to=to, by=lead, reason="Planned")

    assert cohort.status == to
    change = cohort.status_changes.get()
    assert (change.from_status, change.to_status, change.by) == (start, to, lead)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.DRAFT, S.RUNNING),
        (S.DRAFT, S.COMPLETED),
        (S.RUNNING, S.CANCELLED),
        (S.RUNNING, S.OPEN),
        (S.COMPLETED, S.RUNNING),
        (S.CANCELLED, S.OPEN),
        (S.FULL, S.CANCELLED),
    ],
)
def test_refused_moves_say_why_and_change_nothing(start, to):
    cohort = CohortFactory(status=start, cancelled_reason="x" if start == S.CANCELLED else "")

    with pytest.raises(ValidationError, match="cannot become"):
        cohort_move(cohort=cohort, to=to, by=None, reason="Try")

    cohort.refresh_from_db()
    assert cohort.status == start
    assert not cohort.status_changes.exists()


def test_cancelling_needs_a_reason():
    cohort = CohortFactory(status=S.OPEN)

    with pytest.raises(ValidationError, match="Say why the cohort is cancelled"):
        cohort_move(cohort=cohort, to=S.CANCELLED, by=None)

    cohort.refresh_from_db()
    assert cohort.status == S.OPEN


def test_a_cohort_whose_deadline_has_passed_cannot_open():
    cohort = CohortFactory(application_deadline=datetime.date(2020, 1, 1))

    with pytest.raises(ValidationError, match="application deadline .* has passed"):
        cohort_move(cohort=cohort, to=S.OPEN, by=None)


def test_a_cohort_fills_at_capacity_and_reopens_when_a_place_frees():
    cohort = CohortFactory(status=S.OPEN, capacity=2)

    cohort = cohort_places_changed(cohort=cohort, places_taken=2)
    assert cohort.status == S.FULL
    cohort = cohort_places_changed(cohort=cohort, places_taken=1)
    assert cohort.status == S.OPEN
    assert cohort.places_left == 1


@pytest.fixture
def npqlpm_cohort(england_term_dates):
    catalogue_load()
    programme = Programme.objects.get(slug="npq-leading-primary-mathematics")
    return CohortFactory(
        programme=programme,
        academic_year=2026,
        starts_on=datetime.date(2026, 10, 3),  # a Saturday
        ends_on=datetime.date(2027, 7, 16),
    )


def test_the_npqlpm_timetable_has_the_conference_six_clinics_and_assessment_preparation(
    npqlpm_cohort,
):
    sessions = timetable_generate(cohort=npqlpm_cohort, by=None)

    kinds = [(s.kind, s.title) for s in sorted(sessions, key=lambda s: s.starts_at)]
    assert kinds[0] == (Session.Kind.CONFERENCE, "Conference")
    clinics = [title for kind, title in kinds if kind == Session.Kind.CLINIC]
    assert clinics[:6] == [
        "Culture and Learning clinic",
        "Assessment clinic",
        "Instruction clinic",
        "Curriculum clinic",
        "Professional Development clinic",
        "Implementation clinic",
    ]
    assert [kind for kind, _ in kinds[-3:]] == [
        Session.Kind.WEBINAR,
        Session.Kind.WEBINAR,
        Session.Kind.CLINIC,
    ]
    assert len(sessions) == 10
    for session in sessions:
        day = session.starts_at.astimezone(LONDON)
        assert npqlpm_cohort.starts_on <= day.date() <= npqlpm_cohort.ends_on
        assert day.weekday() < 5, session  # never at a weekend
        assert session.status == Session.Status.DRAFT
    starts = [s.starts_at for s in sorted(sessions, key=lambda s: s.starts_at)]
    assert len(set(starts)) == len(starts)


def test_the_timetable_comes_with_module_windows_in_order(npqlpm_cohort):
    timetable_generate(cohort=npqlpm_cohort, by=None)

    windows = list(npqlpm_cohort.module_windows.select_related("module"))
    assert len(windows) == 18  # six courses, three modules each
    for window in windows:
        assert window.opens_on <= window.study_due_on <= window.application_due_on
        assert npqlpm_cohort.starts_on <= window.opens_on <= npqlpm_cohort.ends_on
    opening = [w.opens_on for w in windows]
    assert opening == sorted(opening)


def test_a_timetable_is_not_generated_twice(npqlpm_cohort):
    timetable_generate(cohort=npqlpm_cohort, by=None)

    with pytest.raises(ValidationError, match="already has sessions"):
        timetable_generate(cohort=npqlpm_cohort, by=None)

    assert npqlpm_cohort.sessions.count() == 10


def test_duplicating_copies_the_timetable_a_year_on_on_the_same_weekdays(npqlpm_cohort):
    facilitator = UserFactory()
    npqlpm_cohort.facilitators.add(facilitator)
    sessions = timetable_generate(cohort=npqlpm_cohort, by=None)
    session_cancel(session=sessions[3], by=None, reason="Snow")

    copy = cohort_duplicate(cohort=npqlpm_cohort, by=None)

    assert copy.academic_year == 2027
    assert copy.status == S.DRAFT
    assert copy.copied_from == npqlpm_cohort
    assert list(copy.facilitators.all()) == [facilitator]
    copied = list(copy.sessions.order_by("starts_at"))
    assert len(copied) == 9  # the cancelled one is not copied
    originals = [s for s in npqlpm_cohort.sessions.order_by("starts_at") if s.status != "cancelled"]
    for old, new in zip(originals, copied, strict=True):
        assert new.starts_at - old.starts_at == datetime.timedelta(weeks=52)
        assert (
            new.starts_at.astimezone(LONDON).weekday() == old.starts_at.astimezone(LONDON).weekday()
        )
        assert new.uid != old.uid
    assert copy.module_windows.count() == 18


def test_moving_a_scheduled_session_needs_a_reason_and_raises_its_sequence():
    session = SessionFactory()
    session.starts_at += datetime.timedelta(days=7)
    session.ends_at += datetime.timedelta(days=7)

    with pytest.raises(ValidationError, match="Say why the session is moving"):
        session_save(session=session, by=None)
    session = session_save(session=session, by=None, reason="Facilitator unwell")

    assert session.sequence == 1
    change = session.changes.get()
    assert change.kind == SessionChange.Kind.MOVED
    assert change.reason == "Facilitator unwell"
    assert change.new_starts_at - change.old_starts_at == datetime.timedelta(days=7)


def test_a_session_outside_the_cohorts_dates_is_refused():
    session = SessionFactory.build(cohort=CohortFactory())
    session.starts_at = datetime.datetime(2030, 1, 1, 16, tzinfo=LONDON)
    session.ends_at = datetime.datetime(2030, 1, 1, 17, tzinfo=LONDON)

    with pytest.raises(ValidationError, match="within the cohort's dates"):
        session_save(session=session, by=None)

    assert not Session.objects.exists()


def test_cancelling_a_session_keeps_it_marked_cancelled():
    session = SessionFactory()

    with pytest.raises(ValidationError, match="Say why"):
        session_cancel(session=session, by=None, reason="")
    session = session_cancel(session=session, by=None, reason="Venue flooded")

    assert session.status == Session.Status.CANCELLED
    assert session.sequence == 1
    with pytest.raises(ValidationError, match="already cancelled"):
        session_cancel(session=session, by=None, reason="Again")


def test_publishing_schedules_every_draft():
    cohort = CohortFactory()
    SessionFactory.create_batch(3, cohort=cohort, status=Session.Status.DRAFT)

    assert timetable_publish(cohort=cohort, by=None) == 3
    assert set(cohort.sessions.values_list("status", flat=True)) == {"scheduled"}


def test_a_place_freed_after_the_deadline_closes_the_cohort_rather_than_reopening_it():
    cohort = CohortFactory(
        status=S.FULL, capacity=2, places_taken=2, application_deadline=datetime.date(2020, 1, 1)
    )

    cohort = cohort_places_changed(cohort=cohort, places_taken=1)

    assert cohort.status == S.CLOSED


# ---- Review fixes: each of these failed before ----


def test_a_copy_keeps_the_uk_time_of_day_across_a_clock_change():
    cohort = CohortFactory(
        academic_year=2026, starts_on=datetime.date(2026, 9, 7), ends_on=datetime.date(2027, 7, 9)
    )
    SessionFactory(
        cohort=cohort,
        starts_at=datetime.datetime(2026, 10, 27, 16, 0, tzinfo=LONDON),  # GMT
        ends_at=datetime.datetime(2026, 10, 27, 17, 30, tzinfo=LONDON),
    )

    copy = cohort_duplicate(cohort=cohort, by=None)

    copied = copy.sessions.get().starts_at.astimezone(LONDON)
    assert (copied.date(), copied.hour, copied.minute) == (datetime.date(2027, 10, 26), 16, 0)
    assert copied.utcoffset() == datetime.timedelta(hours=1)  # BST that week


def test_a_copy_of_a_cohort_starting_on_1_august_stays_in_the_next_school_year():
    cohort = CohortFactory(
        academic_year=2026, starts_on=datetime.date(2026, 8, 1), ends_on=datetime.date(2027, 7, 9)
    )

    copy = cohort_duplicate(cohort=cohort, by=None)

    assert copy.starts_on >= datetime.date(2027, 8, 1)
    assert copy.starts_on.weekday() == cohort.starts_on.weekday()


def test_a_cohort_too_short_for_its_sessions_is_refused(npqlpm_cohort):
    npqlpm_cohort.ends_on = npqlpm_cohort.starts_on + datetime.timedelta(days=8)
    npqlpm_cohort.save()

    with pytest.raises(ValidationError, match="needs 10 sessions, but .* only"):
        timetable_generate(cohort=npqlpm_cohort, by=None)

    assert not npqlpm_cohort.sessions.exists()


def test_a_cohort_ending_on_a_sunday_gets_no_weekend_sessions(npqlpm_cohort):
    npqlpm_cohort.ends_on = datetime.date(2026, 12, 20)  # a Sunday, eleven weeks on
    npqlpm_cohort.save()
    # Eleven weeks hold 18 modules' phases only a day each.
    Programme.objects.filter(pk=npqlpm_cohort.programme_id).update(module_phase_days=1)
    npqlpm_cohort.refresh_from_db()

    sessions = timetable_generate(cohort=npqlpm_cohort, by=None)

    assert all(s.starts_at.astimezone(LONDON).weekday() < 5 for s in sessions)
    windows = npqlpm_cohort.module_windows.all()
    assert all(w.application_due_on <= npqlpm_cohort.ends_on for w in windows)


def test_cancelling_a_cohort_cancels_its_sessions_for_calendars(npqlpm_cohort):
    timetable_generate(cohort=npqlpm_cohort, by=None)
    timetable_publish(cohort=npqlpm_cohort, by=None)

    cohort_move(cohort=npqlpm_cohort, to=S.CANCELLED, by=None, reason="Too few applicants")

    sessions = npqlpm_cohort.sessions.all()
    assert {s.status for s in sessions} == {Session.Status.CANCELLED}
    assert all(s.sequence == 1 for s in sessions)
    with pytest.raises(ValidationError, match="cancelled"):
        timetable_publish(cohort=npqlpm_cohort, by=None)


def test_a_cancelled_session_cannot_be_moved_and_an_end_past_the_cohort_is_refused():
    session = SessionFactory()
    session_cancel(session=session, by=None, reason="Snow")
    session.starts_at += datetime.timedelta(days=1)
    session.ends_at += datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="cancelled session cannot be changed"):
        session_save(session=session, by=None, reason="x")

    late = SessionFactory.build(cohort=session.cohort)
    late.starts_at = datetime.datetime(2028, 7, 14, 16, 0, tzinfo=LONDON)
    late.ends_at = datetime.datetime(2028, 7, 20, 17, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError, match="within the cohort's dates"):
        session_save(session=late, by=None)


def test_marking_full_by_hand_is_refused_until_every_place_is_taken():
    cohort = CohortFactory(status=S.OPEN, capacity=10, places_taken=4)

    with pytest.raises(ValidationError, match="Only 4 of 10 places are taken"):
        cohort_move(cohort=cohort, to=S.FULL, by=None)


def test_editing_a_cohort_keeps_it_consistent():
    from cohorts.services import cohort_save

    cohort = CohortFactory(status=S.OPEN, capacity=10, places_taken=5)
    SessionFactory(cohort=cohort)

    cohort.capacity = 5
    cohort = cohort_save(cohort=cohort, by=None)
    assert cohort.status == S.FULL

    cohort.ends_on = datetime.date(2027, 10, 20)  # before the session on 9 November
    with pytest.raises(ValidationError, match="outside the new dates"):
        cohort_save(cohort=cohort, by=None)
    cohort.refresh_from_db()
    cohort.programme = CohortFactory().programme
    with pytest.raises(ValidationError, match="make a new cohort instead"):
        cohort_save(cohort=cohort, by=None)


# ---- Term dates: teaching days ----


def _programme_of_five_sessions() -> Programme:
    """A conference and four clinics, and nothing to study: five sessions, no modules."""
    programme = ProgrammeFactory()
    CourseFactory(programme=programme, kind=Course.Kind.CONFERENCE, title="Conference")
    ClinicFactory.create_batch(4, course=CourseFactory(programme=programme))
    return programme


def _days(sessions) -> list[datetime.date]:
    return sorted(s.starts_at.astimezone(LONDON).date() for s in sessions)


def test_a_generated_timetable_skips_a_bank_holiday():
    cohort = CohortFactory(
        programme=_programme_of_five_sessions(),
        academic_year=2026,
        starts_on=datetime.date(2027, 5, 3),  # May Day
        ends_on=datetime.date(2027, 5, 21),
        term_calendar=TermDateCalendarFactory(),  # no school holidays
    )

    sessions = timetable_generate(cohort=cohort, by=None)

    D = datetime.date
    assert _days(sessions) == [D(2027, 5, 4), D(2027, 5, 6), D(2027, 5, 10), D(2027, 5, 12),
                               D(2027, 5, 14)]  # fmt: skip


def test_a_generated_timetable_skips_the_half_term_of_the_cohorts_term_dates():
    half_term = SchoolHolidayFactory(
        starts_on=datetime.date(2027, 10, 25), ends_on=datetime.date(2027, 10, 29)
    )
    cohort = CohortFactory(
        programme=_programme_of_five_sessions(),
        starts_on=datetime.date(2027, 10, 18),
        ends_on=datetime.date(2027, 11, 12),
        term_calendar=half_term.calendar,
    )

    sessions = timetable_generate(cohort=cohort, by=None)

    days = _days(sessions)
    assert not [day for day in days if half_term.starts_on <= day <= half_term.ends_on]
    assert days[2:] == [datetime.date(2027, 10, 22), datetime.date(2027, 11, 2),
                        datetime.date(2027, 11, 5)]  # fmt: skip


def test_a_cohort_without_term_dates_follows_the_default_calendar_for_england(
    england_term_dates,
):
    half_term = england_term_dates.holidays.get(starts_on__year=2026, name="Autumn half term")
    cohort = CohortFactory(
        programme=_programme_of_five_sessions(),
        academic_year=2026,
        starts_on=half_term.starts_on,
        ends_on=half_term.starts_on + datetime.timedelta(weeks=4),
    )

    sessions = timetable_generate(cohort=cohort, by=None)

    assert _days(sessions)[0] == half_term.ends_on + datetime.timedelta(days=3)  # the Monday


def test_too_few_teaching_days_for_the_sessions_is_refused_and_says_why():
    cohort = CohortFactory(
        programme=_programme_of_five_sessions(),
        starts_on=datetime.date(2027, 10, 21),
        ends_on=datetime.date(2027, 11, 2),
        term_calendar=SchoolHolidayFactory().calendar,  # 25 to 29 October
    )

    with pytest.raises(ValidationError, match="needs 5 sessions, but .* only 2 teaching days"):
        timetable_generate(cohort=cohort, by=None)

    assert not cohort.sessions.exists()


def test_each_module_phase_gets_at_least_the_programmes_days_all_of_them_teaching_days(
    npqlpm_cohort,
):
    year = cohort_school_year(cohort=npqlpm_cohort)

    timetable_generate(cohort=npqlpm_cohort, by=None)

    windows = list(npqlpm_cohort.module_windows.all())
    assert len(windows) == 18
    least = npqlpm_cohort.programme.module_phase_days
    for window in windows:
        for day in (window.opens_on, window.study_due_on, window.application_due_on):
            assert year.is_teaching_day(day), (window, year.why_not_teaching(day))
        study = year.teaching_days(window.opens_on, window.study_due_on)
        apply = year.teaching_days(window.study_due_on, window.application_due_on)[1:]
        assert len(study) >= least and len(apply) >= least, window
    assert all(a.application_due_on < b.opens_on for a, b in itertools.pairwise(windows))


def test_a_cohort_too_short_for_its_module_phases_is_refused_and_changes_nothing(npqlpm_cohort):
    Programme.objects.filter(pk=npqlpm_cohort.programme_id).update(module_phase_days=5)

    with pytest.raises(
        ValidationError, match=r"18 modules need 180 teaching days \(5 for each study phase"
    ):
        timetable_generate(cohort=npqlpm_cohort, by=None)

    assert not npqlpm_cohort.sessions.exists()
    assert not npqlpm_cohort.module_windows.exists()


def test_moving_a_session_onto_a_bank_holiday_unconfirmed_changes_nothing_and_says_why():
    session = SessionFactory()  # Tuesday 9 November 2027
    session.starts_at = datetime.datetime(2028, 5, 1, 16, tzinfo=LONDON)
    session.ends_at = datetime.datetime(2028, 5, 1, 17, tzinfo=LONDON)

    with pytest.raises(
        ValidationError,
        match=r"Monday 1 May 2028 is not a teaching day: May Day \(bank holiday\)\. Save anyway",
    ) as refused:
        session_save(session=session, by=None, reason="Room clash")

    assert refused.value.code == "non_teaching_day"
    session.refresh_from_db()
    assert session.starts_at.date() == datetime.date(2027, 11, 9)
    assert not session.changes.exists()


def test_moving_a_session_onto_a_half_term_day_confirmed_saves_it():
    session = SessionFactory(cohort__term_calendar=SchoolHolidayFactory().calendar)
    session.starts_at = datetime.datetime(2027, 10, 27, 16, tzinfo=LONDON)
    session.ends_at = datetime.datetime(2027, 10, 27, 17, tzinfo=LONDON)

    session_save(session=session, by=None, reason="Only day the room is free", confirm_day=True)

    session.refresh_from_db()
    assert session.starts_at == datetime.datetime(2027, 10, 27, 16, tzinfo=LONDON)
    assert session.changes.get().kind == SessionChange.Kind.MOVED


def test_a_new_session_on_a_saturday_needs_confirming_but_a_later_change_that_day_does_not():
    cohort = CohortFactory()
    session = SessionFactory.build(
        cohort=cohort,
        starts_at=datetime.datetime(2027, 11, 13, 10, tzinfo=LONDON),
        ends_at=datetime.datetime(2027, 11, 13, 12, tzinfo=LONDON),
        status=Session.Status.DRAFT,
    )

    with pytest.raises(ValidationError, match="Saturday 13 November 2027 is not a teaching day"):
        session_save(session=session, by=None)
    assert not cohort.sessions.exists()
    session_save(session=session, by=None, confirm_day=True)
    session.title = "Saturday clinic"
    session.ends_at += datetime.timedelta(hours=1)
    session_save(session=session, by=None)

    session.refresh_from_db()
    assert session.title == "Saturday clinic"


def test_making_a_calendar_the_default_stops_the_old_default_being_one(england_term_dates):
    old = england_term_dates
    new = TermDateCalendarFactory.build(name="Cheshire West and Chester", is_default=True)

    term_calendar_save(calendar=new, by=None)

    old.refresh_from_db()
    assert not old.is_default
    assert TermDateCalendar.objects.default() == new
