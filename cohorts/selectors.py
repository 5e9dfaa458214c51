"""Reads across the cohorts app's models."""

from __future__ import annotations

from .models import Cohort, TermDateCalendar
from .school_year import Holiday, SchoolYear


def cohort_term_calendar(*, cohort: Cohort) -> TermDateCalendar | None:
    """The term dates the cohort follows: its own, else the default (None if there is none)."""
    if cohort.term_calendar_id:
        return cohort.term_calendar
    return TermDateCalendar.objects.default()


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
