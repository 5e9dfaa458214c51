"""Changes of state for cohorts, their timetables and calendar feeds."""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from npq_portal.models import User
from npq_portal.prepared import fixed_objects
from npq_portal.signals import rows_written
from programmes.models import Course, Module

from .models import (
    CalendarFeed,
    Cohort,
    CohortStatusChange,
    ModuleWindow,
    SchoolHoliday,
    Session,
    SessionChange,
    TermDateCalendar,
)
from .school_year import SchoolYear
from .selectors import cohort_school_year
from .signals import cohort_opened, session_changed

LONDON = ZoneInfo("Europe/London")
# A year on, on the same weekday: 52 weeks (53 when 52 would fall back into the old school year).
WEEK = datetime.timedelta(weeks=1)
CLOSED_STATUSES = {Cohort.Status.CANCELLED, Cohort.Status.COMPLETED}


def _refuse_if_finished(cohort: Cohort) -> None:
    """A cancelled or completed cohort's timetable is history: it does not change."""
    if cohort.status in CLOSED_STATUSES:
        raise ValidationError(f"This cohort is {cohort.get_status_display().lower()}.")


def _year_on(cohort: Cohort) -> datetime.timedelta:
    shift = 52 * WEEK
    if cohort.starts_on + shift < datetime.date(cohort.academic_year + 1, 8, 1):
        shift += WEEK
    return shift


def _same_wall_clock(moment: datetime.datetime, shift: datetime.timedelta) -> datetime.datetime:
    """The same London time of day `shift` later, across clock changes (16:00 stays 16:00)."""
    local = moment.astimezone(LONDON).replace(tzinfo=None) + shift
    return local.replace(tzinfo=LONDON)


# Times the generated timetable uses (Europe/London): staff adjust them afterwards.
SESSION_TIMES = {
    Session.Kind.CONFERENCE: (datetime.time(9, 30), datetime.time(15, 30)),
    Session.Kind.CLINIC: (datetime.time(16, 0), datetime.time(17, 30)),
    Session.Kind.WEBINAR: (datetime.time(16, 0), datetime.time(17, 0)),
    Session.Kind.WORKSHOP: (datetime.time(9, 30), datetime.time(12, 30)),
}


# ---- Cohorts ----


@transaction.atomic
def cohort_save(
    *, cohort: Cohort, facilitators: Iterable[User] | None = None, by: User | None
) -> Cohort:
    """Create or change a cohort's details (its status changes through cohort_move).

    Raises ValidationError when a change would strand its timetable: another programme, or
    dates that leave sessions outside them.
    """
    cohort.full_clean(exclude=["facilitators"])
    if cohort.pk:
        before = Cohort.objects.select_for_update().get(pk=cohort.pk)
        sessions = before.sessions.exclude(status=Session.Status.CANCELLED)
        if cohort.programme_id != before.programme_id and sessions.exists():
            raise ValidationError(
                "This cohort has a timetable for its programme: make a new cohort instead."
            )
        first, last = cohort_bounds(cohort)
        if (
            sessions.filter(starts_at__lt=first).exists()
            or sessions.filter(ends_at__gt=last).exists()
        ):
            raise ValidationError(
                "Some sessions would fall outside the new dates: move them first."
            )
    cohort.save()
    if facilitators is not None:
        cohort.facilitators.set(facilitators)
    if cohort.status in {Cohort.Status.OPEN, Cohort.Status.FULL}:
        cohort = cohort_places_changed(cohort=cohort, places_taken=cohort.places_taken)
    return cohort


def cohort_bounds(cohort: Cohort) -> tuple[datetime.datetime, datetime.datetime]:
    """The first and last moments of the cohort's dates, UK time."""
    return (
        datetime.datetime.combine(cohort.starts_on, datetime.time.min, tzinfo=LONDON),
        datetime.datetime.combine(
            cohort.ends_on + datetime.timedelta(days=1), datetime.time.min, tzinfo=LONDON
        ),
    )


@transaction.atomic
def cohort_move(*, cohort: Cohort, to: str, by: User | None, reason: str = "") -> Cohort:
    """Move a cohort to another status, recording who, when and why.

    Raises ValidationError when the move is not allowed from its status, when cancelling
    without a reason, or when opening with an application deadline already passed.
    """
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if not cohort.can_move_to(to):
        raise ValidationError(
            f"A cohort that is {cohort.get_status_display().lower()} cannot become "
            f"{Cohort.Status(to).label.lower()}."
        )
    reason = reason.strip()
    if to == Cohort.Status.FULL and cohort.places_taken < cohort.capacity:
        raise ValidationError(
            f"Only {cohort.places_taken} of {cohort.capacity} places are taken: a cohort is "
            "full when every place is. Close it to applications instead."
        )
    if to == Cohort.Status.CANCELLED and not reason:
        raise ValidationError("Say why the cohort is cancelled: applicants will be told.")
    if to == Cohort.Status.OPEN:
        deadline = cohort.application_deadline
        if deadline and deadline < timezone.localdate():
            raise ValidationError(
                f"The application deadline ({deadline:%d %B %Y}) has passed: set a new one "
                "before opening."
            )
        if cohort.places_taken >= cohort.capacity:
            raise ValidationError("Every place is taken: raise the capacity to reopen.")
    CohortStatusChange.objects.create(
        cohort=cohort, from_status=cohort.status, to_status=to, by=by, reason=reason
    )
    cohort.status = to
    if to == Cohort.Status.CANCELLED:
        cohort.cancelled_reason = reason
        # Calendars must show every session cancelled, not leave them in people's diaries.
        for session in cohort.sessions.exclude(status=Session.Status.CANCELLED):
            session_cancel(session=session, by=by, reason=f"The cohort is cancelled: {reason}")
    cohort.save(update_fields=["status", "cancelled_reason", "updated_at"])
    if to == Cohort.Status.OPEN:
        cohort_opened.send(sender=Cohort, cohort=cohort)
    return cohort


@transaction.atomic
def cohort_places_changed(*, cohort: Cohort, places_taken: int) -> Cohort:
    """Record how many places are taken; an open cohort becomes full at capacity, and a full
    one opens again when a place is freed (so the waitlist can be offered it)."""
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    cohort.places_taken = places_taken
    cohort.save(update_fields=["places_taken", "updated_at"])
    if cohort.status == Cohort.Status.OPEN and places_taken >= cohort.capacity:
        cohort = cohort_move(cohort=cohort, to=Cohort.Status.FULL, by=None, reason="All taken")
    elif cohort.status == Cohort.Status.FULL and places_taken < cohort.capacity:
        deadline = cohort.application_deadline
        if deadline and deadline < timezone.localdate():
            cohort = cohort_move(
                cohort=cohort,
                to=Cohort.Status.CLOSED,
                by=None,
                reason="Place freed after the deadline",
            )
        else:
            cohort = cohort_move(
                cohort=cohort, to=Cohort.Status.OPEN, by=None, reason="Place freed"
            )
    return cohort


@transaction.atomic
def cohort_duplicate(*, cohort: Cohort, by: User | None) -> Cohort:
    """A draft copy of the cohort for the next academic year, its timetable and module
    windows moved on a year to the same weekdays and the same UK times of day."""
    source = Cohort.objects.prefetch_related("facilitators").get(pk=cohort.pk)
    shift = _year_on(source)
    copy = Cohort.objects.create(
        programme_id=source.programme_id,
        name=source.name,
        academic_year=source.academic_year + 1,
        starts_on=source.starts_on + shift,
        ends_on=source.ends_on + shift,
        application_deadline=(
            source.application_deadline + shift if source.application_deadline else None
        ),
        delivery_partner_id=source.delivery_partner_id,
        venue=source.venue,
        online=source.online,
        capacity=source.capacity,
        funding_rules=source.funding_rules,
        copied_from=source,
    )
    copy.facilitators.set(source.facilitators.all())
    Session.objects.bulk_create(
        [
            Session(
                cohort=copy,
                kind=session.kind,
                title=session.title,
                course_id=session.course_id,
                clinic_id=session.clinic_id,
                module_id=session.module_id,
                starts_at=_same_wall_clock(session.starts_at, shift),
                ends_at=_same_wall_clock(session.ends_at, shift),
                venue=session.venue,
                online_link=session.online_link,
                facilitator_id=session.facilitator_id,
                capacity=session.capacity,
            )
            for session in source.sessions.exclude(status=Session.Status.CANCELLED)
        ]
    )
    ModuleWindow.objects.bulk_create(
        [
            ModuleWindow(
                cohort=copy,
                module_id=window.module_id,
                opens_on=window.opens_on + shift,
                study_due_on=window.study_due_on + shift,
                application_due_on=window.application_due_on + shift,
            )
            for window in source.module_windows.all()
        ]
    )
    rows_written.send(sender=Session, cohort_ids={copy.pk})
    return copy


# ---- Timetables ----


def _at(day: datetime.date, kind: str) -> tuple[datetime.datetime, datetime.datetime]:
    start, end = SESSION_TIMES[kind]
    return (
        datetime.datetime.combine(day, start, tzinfo=LONDON),
        datetime.datetime.combine(day, end, tzinfo=LONDON),
    )


def _planned_sessions(cohort: Cohort) -> list[dict]:
    """The sessions the programme's structure calls for, in the order participants meet them."""
    planned = []
    courses = cohort.programme.courses.prefetch_related("modules", "clinics")
    for course in courses:
        if course.kind == Course.Kind.CONFERENCE:
            planned.append(
                {"kind": Session.Kind.CONFERENCE, "title": course.title, "course": course}
            )
            continue
        if course.kind == Course.Kind.ASSESSMENT_PREPARATION:
            for module in course.modules.all():
                if module.format == Module.Format.WEBINAR:
                    planned.append(
                        {
                            "kind": Session.Kind.WEBINAR,
                            "title": module.title,
                            "course": course,
                            "module": module,
                        }
                    )
        for clinic in course.clinics.all():
            planned.append(
                {
                    "kind": Session.Kind.CLINIC,
                    "title": clinic.title,
                    "course": course,
                    "clinic": clinic,
                }
            )
    return planned


@transaction.atomic
def timetable_generate(*, cohort: Cohort, by: User | None) -> list[Session]:
    """Draft sessions and module windows from the programme's structure, spread across the
    cohort's teaching days (its term dates less weekends and bank holidays): the conference
    first, then each course's clinic, then assessment preparation. Staff adjust and publish them.

    Raises ValidationError when the cohort already has sessions, the programme no structure,
    or the cohort's dates too few teaching days for its sessions or its modules' phases.
    """
    cohort = Cohort.objects.select_for_update().select_related("programme").get(pk=cohort.pk)
    _refuse_if_finished(cohort)
    if cohort.sessions.exists():
        raise ValidationError(
            "This cohort already has sessions: change them one by one, or delete them first."
        )
    planned = _planned_sessions(cohort)
    if not planned:
        raise ValidationError(
            f"{cohort.programme} has no conference, clinics or webinars to schedule: add its "
            "structure first."
        )
    school_year = cohort_school_year(cohort=cohort)
    # Keep the last session a week clear of the end date, for the assessment window.
    days = school_year.teaching_days(cohort.starts_on, cohort.ends_on - datetime.timedelta(days=7))
    if len(days) < 2:
        days = school_year.teaching_days(cohort.starts_on, cohort.ends_on)
    if len(days) < len(planned):
        raise ValidationError(
            f"{cohort.programme.short_name} needs {len(planned)} sessions, but the cohort's "
            f"dates leave only {len(days)} teaching days (weekdays outside bank holidays and "
            "school holidays): lengthen the cohort first."
        )
    steps = max(len(planned) - 1, 1)
    sessions = []
    for index, plan in enumerate(planned):
        # Evenly spread over the teaching days: distinct days, never a weekend or holiday.
        day = days[(len(days) - 1) * index // steps]
        starts_at, ends_at = _at(day, plan["kind"])
        sessions.append(
            Session(
                cohort=cohort,
                starts_at=starts_at,
                ends_at=ends_at,
                venue=cohort.venue if plan["kind"] == Session.Kind.CONFERENCE else "",
                **plan,
            )
        )
    Session.objects.bulk_create(sessions)
    rows_written.send(sender=Session, cohort_ids={cohort.pk})
    _generate_module_windows(cohort, sessions, school_year)
    return sessions


def _generate_module_windows(
    cohort: Cohort, sessions: list[Session], school_year: SchoolYear
) -> None:
    """Each course's study-then-apply modules share the teaching days up to that course's
    clinic, every phase getting at least the programme's module_phase_days of them: a course
    whose clinic comes sooner runs on past it, and the courses after it move along.

    Raises ValidationError when the cohort's dates leave too few teaching days for them all.
    """
    if cohort.module_windows.exists():
        return
    clinic_day = {
        session.course_id: session.starts_at.astimezone(LONDON).date()
        for session in sessions
        if session.kind == Session.Kind.CLINIC
    }
    courses = [
        (course, [m for m in course.modules.all() if m.format == Module.Format.STUDY_AND_APPLY])
        for course in cohort.programme.courses.prefetch_related("modules")
    ]
    courses = [(course, modules) for course, modules in courses if modules]
    if not courses:
        return
    days = school_year.teaching_days(cohort.starts_on, cohort.ends_on)
    least = cohort.programme.module_phase_days
    needed = [2 * least * len(modules) for _, modules in courses]  # a study and an apply phase
    if sum(needed) > len(days):
        count = sum(len(modules) for _, modules in courses)
        raise ValidationError(
            f"{cohort.programme.short_name}'s {count} modules need {sum(needed)} teaching days "
            f"({least} for each study phase and each apply phase), but the cohort's dates leave "
            f"only {len(days)}: lengthen the cohort, or give the programme's module phases "
            "fewer days."
        )
    windows = []
    start = 0  # where in `days` the next course's first module opens
    for position, (course, modules) in enumerate(courses):
        clinic = clinic_day.get(course.pk, days[start] + datetime.timedelta(weeks=4 * len(modules)))
        # The teaching days before the clinic, yet never fewer than the phases need, nor so
        # many that the courses after this one are left short.
        span = max(bisect.bisect_left(days, clinic) - start, needed[position])
        span = min(span, len(days) - start - sum(needed[position + 1 :]))
        part = span // len(modules)
        for index, module in enumerate(modules):
            first = start + part * index
            length = part if index < len(modules) - 1 else span - part * index
            windows.append(
                ModuleWindow(
                    cohort=cohort,
                    module=module,
                    opens_on=days[first],
                    study_due_on=days[first + length // 2 - 1],
                    application_due_on=days[first + length - 1],
                )
            )
        start += span
    ModuleWindow.objects.bulk_create(windows)
    rows_written.send(sender=ModuleWindow, cohort_ids={cohort.pk})


@transaction.atomic
def timetable_publish(*, cohort: Cohort, by: User | None) -> int:
    """Schedule every draft session of the cohort, so it shows in calendars; returns how many.

    Raises ValidationError for a cancelled or completed cohort.
    """
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    _refuse_if_finished(cohort)
    drafts = list(cohort.sessions.select_for_update().filter(status=Session.Status.DRAFT))
    now = timezone.now()
    for session in drafts:
        session.status = Session.Status.SCHEDULED
        session.updated_at = now  # bulk_update skips auto_now; calendars read it
        SessionChange.objects.create(
            session=session,
            kind=SessionChange.Kind.SCHEDULED,
            new_starts_at=session.starts_at,
            new_ends_at=session.ends_at,
            by=by,
        )
    Session.objects.bulk_update(drafts, ["status", "updated_at"])
    rows_written.send(sender=Session, cohort_ids={cohort.pk})
    return len(drafts)


@transaction.atomic
def session_save(
    *, session: Session, by: User | None, reason: str = "", confirm_day: bool = False
) -> Session:
    """Create or change a session. Moving a scheduled one needs a reason, is recorded, and
    raises its calendar sequence so calendars update it in place. Putting it on a day that
    is not a teaching day (a weekend, a bank holiday, a school holiday of the cohort's term
    dates) needs confirm_day.

    Raises ValidationError when a scheduled session is moved without a reason, it falls
    outside the cohort's dates, or onto a day that is not a teaching day unconfirmed (with
    code "non_teaching_day", so a form can ask).
    """
    cohort = session.cohort
    _refuse_if_finished(cohort)
    first, last = cohort_bounds(cohort)
    if not (first <= session.starts_at and session.ends_at <= last):
        raise ValidationError(
            f"The session must fall within the cohort's dates, {cohort.starts_on:%d %B %Y} to "
            f"{cohort.ends_on:%d %B %Y}."
        )
    if session.pk is None:
        if not confirm_day:
            _refuse_non_teaching_day(session)
        session.full_clean()
        session.save()
        return session
    before = Session.objects.select_for_update().get(pk=session.pk)
    if before.status == Session.Status.CANCELLED:
        raise ValidationError("A cancelled session cannot be changed: add a new one instead.")
    day = session.starts_at.astimezone(LONDON).date()
    if not confirm_day and day != before.starts_at.astimezone(LONDON).date():
        _refuse_non_teaching_day(session)  # a session already on that day was confirmed then
    moved = (before.starts_at, before.ends_at) != (session.starts_at, session.ends_at)
    if before.status == Session.Status.SCHEDULED:
        if moved and not reason.strip():
            raise ValidationError("Say why the session is moving: the people booked are told.")
        session.sequence = before.sequence + 1
        if moved:
            session_changed.send(
                sender=Session, session=session, change="moved", reason=reason.strip()
            )
            SessionChange.objects.create(
                session=session,
                kind=SessionChange.Kind.MOVED,
                old_starts_at=before.starts_at,
                old_ends_at=before.ends_at,
                new_starts_at=session.starts_at,
                new_ends_at=session.ends_at,
                by=by,
                reason=reason.strip(),
            )
    session.full_clean()
    session.save()
    return session


def _refuse_non_teaching_day(session: Session) -> None:
    day = session.starts_at.astimezone(LONDON).date()
    why = cohort_school_year(cohort=session.cohort).why_not_teaching(day)
    if why:
        raise ValidationError(
            f"{day:%A} {day.day} {day:%B %Y} is not a teaching day: {why}. Save anyway?",
            code="non_teaching_day",
        )


@transaction.atomic
def session_cancel(*, session: Session, by: User | None, reason: str) -> Session:
    """Cancel a session; calendars show it cancelled rather than losing it silently.

    Raises ValidationError without a reason or when it is already cancelled.
    """
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status == Session.Status.CANCELLED:
        raise ValidationError("This session is already cancelled.")
    if not reason.strip():
        raise ValidationError("Say why the session is cancelled: the people booked are told.")
    SessionChange.objects.create(
        session=session,
        kind=SessionChange.Kind.CANCELLED,
        old_starts_at=session.starts_at,
        old_ends_at=session.ends_at,
        by=by,
        reason=reason.strip(),
    )
    was_published = session.status == Session.Status.SCHEDULED
    session.status = Session.Status.CANCELLED
    session.sequence += 1
    session.save(update_fields=["status", "sequence", "updated_at"])
    if was_published:
        session_changed.send(
            sender=Session, session=session, change="cancelled", reason=reason.strip()
        )
    return session


@transaction.atomic
def module_window_save(*, window: ModuleWindow, by: User | None) -> ModuleWindow:
    """Change when a module opens and is due. Raises ValidationError when out of order."""
    if not window.opens_on <= window.study_due_on <= window.application_due_on:
        raise ValidationError("A module opens, then its study is due, then its application.")
    window.save()
    return window


# ---- Term dates ----


@transaction.atomic
def term_calendar_save(*, calendar: TermDateCalendar, by: User | None) -> TermDateCalendar:
    """Create or change a term-date calendar; making it the default stops the old default
    being one (cohorts without a calendar of their own then follow this one).

    Raises ValidationError when its name is taken.
    """
    calendar.full_clean(validate_constraints=False)
    if calendar.is_default:
        others = TermDateCalendar.objects.select_for_update().filter(is_default=True)
        others.exclude(pk=calendar.pk).update(is_default=False, updated_at=timezone.now())
    calendar.save()
    return calendar


@transaction.atomic
def school_holiday_save(*, holiday: SchoolHoliday, by: User | None) -> SchoolHoliday:
    """Add or change a school holiday. Timetables generated from now on avoid it; sessions
    already in place stay where they are.

    Raises ValidationError when it ends before it starts.
    """
    holiday.full_clean()
    holiday.save()
    return holiday


@transaction.atomic
def school_holiday_delete(*, holiday: SchoolHoliday, by: User | None) -> None:
    """Remove a school holiday: timetables generated from now on may use its days."""
    holiday.delete()


# ---- Calendar feeds ----


def _cohort_feed(cohort_id: int):
    """A cohort's active feed (at most one: calendar_feed_get makes it under a row lock)."""
    return CalendarFeed.objects.filter(
        cohort=cohort_id, owner=None, revoked_at__isnull=True
    ).order_by("pk")[:1]


def _owner_feed(owner_id: int):
    """A person's active feed."""
    return CalendarFeed.objects.filter(
        cohort=None, owner=owner_id, revoked_at__isnull=True
    ).order_by("pk")[:1]


def calendar_feed_get(*, cohort: Cohort | None = None, owner: User | None = None) -> CalendarFeed:
    """The active secret calendar address for a cohort or a person, made on first use.

    Pages showing the address ask on every visit: once it exists, that is one plain read, with
    no transaction and no row lock."""
    feeds = CalendarFeed.objects.filter(cohort=cohort, owner=owner, revoked_at__isnull=True)
    if (cohort is None) != (owner is None):  # the one read each visit, by a fixed query
        found = (
            fixed_objects(_cohort_feed, cohort.pk)
            if cohort is not None
            else fixed_objects(_owner_feed, owner.pk)
        )
        if found:
            return found[0]
    elif (feed := feeds.first()) is not None:
        return feed
    with transaction.atomic():
        feed = feeds.select_for_update().first()
        return feed or CalendarFeed.objects.create(cohort=cohort, owner=owner)


@transaction.atomic
def calendar_feed_replace(*, feed: CalendarFeed) -> CalendarFeed:
    """Revoke a calendar address (e.g. it was shared by mistake) and issue a new one."""
    CalendarFeed.objects.filter(
        cohort=feed.cohort, owner=feed.owner, revoked_at__isnull=True
    ).select_for_update().update(revoked_at=timezone.now())
    return CalendarFeed.objects.create(cohort=feed.cohort, owner=feed.owner)
