"""How an academic year is named. Pure: no Django, so pure modules (reports/terms.py) use it too.

An academic year is stored as the year it starts in (Cohort.academic_year: 2026 is 2026/27).
"""


def academic_year_label(year: int) -> str:
    """The year as people write it: 2026 is "2026/27", 2099 is "2099/00"."""
    return f"{year}/{(year + 1) % 100:02d}"
