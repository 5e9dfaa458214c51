"""Reads across the cohorts app's models."""

from __future__ import annotations

from npq_portal.prepared import fixed_objects

from .models import Cohort, TermDateCalendar, sees_every_cohort
from .school_year import Holiday, SchoolYear


def _cohort_by_id(pk: int):
    return Cohort.objects.filter(pk=pk).select_related(
        "programme", "delivery_partner", "term_calendar"
    )


def _cohort_run_by(pk: int, user_id: int):
    return _cohort_by_id(pk).run_by(user_id)


def cohort_seen_by(user, pk: int) -> Cohort | None:
    """The cohort `pk` if this person may see it (CohortQuerySet.for_user's rule), with its
    programme, delivery partner and term calendar; else None. Read by a fixed query for each
    scope (npq_portal.prepared), composed once a connection: cohort pages ask on every visit."""
    if sees_every_cohort(user):
        found = fixed_objects(_cohort_by_id, int(pk))
    else:
        found = fixed_objects(_cohort_run_by, int(pk), user.pk)
    return found[0] if found else None


def cohort_term_calendar(*, cohort: Cohort) -> TermDateCalendar | None:
    """The term dates the cohort follows: its own, else the default (None if there is none)."""
    if cohort.term_calendar_id:
        return cohort.term_calendar
    found = fixed_objects(_default_term_calendar)  # as TermDateCalendar.objects.default()
    return found[0] if found else None


def _default_term_calendar():
    return TermDateCalendar.objects.marked_default()[:1]


def cohort_school_year(*, cohort: Cohort) -> SchoolYear:
    """The cohort's teaching days: weekdays less bank holidays and its calendar's holidays."""
    calendar = cohort_term_calendar(cohort=cohort)
    if calendar is None:
        return SchoolYear()
    return SchoolYear(
        holidays=tuple(
            Holiday(name=h.name, starts_on=h.starts_on, ends_on=h.ends_on)
            for h in calendar.holidays.all()
        )
    )
