"""How an academic year is named, and which one a day is in. Pure: no Django, so pure modules (reports/terms.py) use it too.

An academic year is stored as the year it starts in (Cohort.academic_year: 2026 is 2026/27).
"""

import datetime


def academic_year_label(year: int) -> str:
    """The year as people write it: 2026 is "2026/27", 2099 is "2099/00"."""
    return f"{year}/{(year + 1) % 100:02d}"


def academic_year_of(day: datetime.date) -> int:
    """The academic year `day` is in, running 1 August to 31 July (as cohorts' start dates do)."""
    return day.year if day.month >= 8 else day.year - 1
