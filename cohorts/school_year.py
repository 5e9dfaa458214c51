"""Which days are teaching days. Pure: no Django, so it is tested without a database.

A teaching day is a weekday that is neither a bank holiday in England and Wales nor inside one
of the school holidays of a term-date calendar (a local authority's, a hub's, or the default
for England). Bank holidays come from the maintained `holidays` package rather than a list
written here, so substitute days and one-off holidays (a coronation) arrive with its updates.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

import holidays

WEEKEND = {5: "Saturday", 6: "Sunday"}


@dataclass(frozen=True)
class Holiday:
    """A school holiday, its first and last days both inclusive."""

    name: str
    starts_on: datetime.date
    ends_on: datetime.date


@functools.cache
def _bank_holidays(year: int) -> dict[datetime.date, str]:
    # England and Wales share their bank holidays (the library's "ENG" and "WLS" agree on
    # every one); Scotland and Northern Ireland have others and are not served by the hub.
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year))


def bank_holiday(day: datetime.date) -> str | None:
    """The name of the England and Wales bank holiday on `day`, or None."""
    return _bank_holidays(day.year).get(day)


@dataclass(frozen=True)
class SchoolYear:
    """The school holidays of one term-date calendar, asked which days are teaching days."""

    holidays: tuple[Holiday, ...] = ()

    def why_not_teaching(self, day: datetime.date) -> str | None:
        """Why no session should be on `day` ("Saturday", "Christmas Day (bank holiday)",
        "Autumn half term"), or None on a teaching day."""
        if day.weekday() in WEEKEND:
            return WEEKEND[day.weekday()]
        name = bank_holiday(day)
        if name:
            return f"{name} (bank holiday)"
        for holiday in self.holidays:
            if holiday.starts_on <= day <= holiday.ends_on:
                return holiday.name
        return None

    def is_teaching_day(self, day: datetime.date) -> bool:
        return self.why_not_teaching(day) is None

    def teaching_days(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """Every teaching day from `first` to `last`, both inclusive, in order."""
        days = (first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
        return [day for day in days if self.is_teaching_day(day)]
