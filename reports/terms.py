"""School terms, simply: the three terms of an English academic year, end to end.

Pure: no Django. Each school sets its own term and holiday dates, so the summaries use fixed
dates that cover the whole year with no gaps, and every session, module and result falls in
exactly one term (the holidays between terms have no sessions, so where they fall does not
matter):

- autumn term: 1 September to 31 December;
- spring term: 1 January to 31 March;
- summer term: 1 April to 31 August.

An academic year is named by the year it starts in, as cohorts are: 2027 is 2027/28, whose
spring and summer terms fall in 2028.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cohorts.academic_years import academic_year_label

AUTUMN = "autumn"
SPRING = "spring"
SUMMER = "summer"
TERMS = (AUTUMN, SPRING, SUMMER)


@dataclass(frozen=True)
class Term:
    name: str  # autumn, spring or summer
    academic_year: int  # 2027 means 2027/28
    starts_on: datetime.date
    ends_on: datetime.date  # the last day of the term

    @property
    def label(self) -> str:
        """e.g. "Spring term 2028 (2027/28)"."""
        year = academic_year_label(self.academic_year)
        return f"{self.name.capitalize()} term {self.starts_on.year} ({year})"

    @property
    def slug(self) -> str:
        """How a URL names it, e.g. "2027-spring"."""
        return f"{self.academic_year}-{self.name}"

    def contains(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def previous(self) -> Term:
        index = TERMS.index(self.name)
        if index == 0:
            return term_named(SUMMER, self.academic_year - 1)
        return term_named(TERMS[index - 1], self.academic_year)

    def next(self) -> Term:
        index = TERMS.index(self.name)
        if index == len(TERMS) - 1:
            return term_named(AUTUMN, self.academic_year + 1)
        return term_named(TERMS[index + 1], self.academic_year)


def term_named(name: str, academic_year: int) -> Term:
    """The term of that name in the academic year starting in `academic_year`.

    Raises ValueError for a name other than autumn, spring or summer.
    """
    if name == AUTUMN:
        return Term(
            name,
            academic_year,
            datetime.date(academic_year, 9, 1),
            datetime.date(academic_year, 12, 31),
        )
    if name == SPRING:
        year = academic_year + 1
        return Term(name, academic_year, datetime.date(year, 1, 1), datetime.date(year, 3, 31))
    if name == SUMMER:
        year = academic_year + 1
        return Term(name, academic_year, datetime.date(year, 4, 1), datetime.date(year, 8, 31))
    raise ValueError(f"There is no “{name}” term: choose autumn, spring or summer.")


def term_of(day: datetime.date) -> Term:
    """The term a day falls in."""
    academic_year = day.year if day.month >= 9 else day.year - 1
    for name in TERMS:
        term = term_named(name, academic_year)
        if term.contains(day):
            return term
    raise AssertionError(f"{day} falls in no term")  # the terms cover every day


def term_from_slug(slug: str) -> Term:
    """The term a URL names ("2027-spring").

    Raises ValueError when the text names no term.
    """
    year, _, name = slug.partition("-")
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        raise ValueError(f"“{slug}” does not name a term, e.g. 2027-autumn.")
    return term_named(name, int(year))
