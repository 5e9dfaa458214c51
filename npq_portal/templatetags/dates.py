"""`{{ session.starts_at|when }}`: a session's day and time, with the year when it is more than
six months from today (so "Tue 14 Oct" is never read as this year's when it is next year's).

A builtin (settings.TEMPLATES), so every template has it without a {% load %}.
"""

import datetime
import functools

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import get_language

register = template.Library()

NEAR = datetime.timedelta(days=183)  # six months


@register.filter(name="when")
def when(moment: datetime.datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    return LocalDates().when(moment, with_time=with_time)


# ---- For tables drawn in Python (a row tag's cells) ----


class LocalDates:
    """Dates and times in words for a table drawn in Python, in the time zone and language
    active when it was made: a row tag makes one and writes every cell with it. (Each look-up
    of the active zone or language costs a few microseconds; the sync log alone writes over a
    hundred times, so looking them up once a table saves about a millisecond a page.)"""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.language = get_language()

    @functools.cached_property
    def now(self) -> datetime.datetime:
        """When the table is drawn, for `when`'s "more than six months from now"."""
        return timezone.now()

    def when(self, moment: datetime.datetime, *, with_time: bool = True) -> str:
        """A session's day and time as `|when` writes it: "Tue 14 Oct, 09:30", with the year
        when it is more than six months from now."""
        local = moment.astimezone(self.zone)
        day = (
            f"{_weekday(self.language, local.weekday())} {local.day} "
            f"{_short_month(self.language, local.month)}"
        )
        if abs(local - self.now) > NEAR:
            day += f" {local.year:04d}"
        return f"{day}, {local.hour:02d}:{local.minute:02d}" if with_time else day

    def local(self, moment: datetime.datetime) -> datetime.datetime:
        """The moment in local time, as timezone.localtime gives it."""
        return moment.astimezone(self.zone)

    def day_month(self, value: datetime.date) -> str:
        """The date as `|date:"j M"` draws it ("14 Oct")."""
        return f"{value.day} {_short_month(self.language, value.month)}"

    def day_full_month(self, value: datetime.date) -> str:
        """The date as `|date:"j F"` draws it ("14 October")."""
        return f"{value.day} {_month(self.language, value.month)}"

    def day_month_year(self, value: datetime.date) -> str:
        """The date as `|date:"j M Y"` draws it ("1 Jul 2027")."""
        return f"{self.day_month(value)} {value.year:04d}"

    def day_full_month_year(self, value: datetime.date) -> str:
        """The date as `|date:"j F Y"` draws it ("1 July 2027")."""
        return f"{self.day_full_month(value)} {value.year:04d}"

    def day_month_year_time(
        self, moment: datetime.datetime, *, sep: str = ", ", seconds: bool = False
    ) -> str:
        """The moment in local time as `|date:"j M Y, H:i"` draws it ("1 Jul 2027, 09:05"),
        with `sep` between the day and the time, and `:s` for `seconds`."""
        local = moment.astimezone(self.zone)
        time = f"{local.hour:02d}:{local.minute:02d}"
        if seconds:
            time += f":{local.second:02d}"
        return f"{self.day_month_year(local)}{sep}{time}"


def day_month(value: datetime.date) -> str:
    """The date as `|date:"j M"` draws it ("14 Oct"), the month's short name translated once a
    process, not once a cell (LocalDates for a whole table)."""
    return f"{value.day} {_short_month(get_language(), value.month)}"


def day_month_year(value: datetime.date) -> str:
    """The date as `|date:"j M Y"` draws it ("1 Jul 2027"), as `day_month` does."""
    return f"{day_month(value)} {value.year:04d}"


def day_month_year_time(
    moment: datetime.datetime, *, sep: str = ", ", seconds: bool = False
) -> str:
    """The moment in local time as `|date:"j M Y, H:i"` draws it ("1 Jul 2027, 09:05"), with
    `sep` between the day and the time, and `:s` for `seconds`."""
    return LocalDates().day_month_year_time(moment, sep=sep, seconds=seconds)


@functools.cache
def _short_month(language: str, month: int) -> str:
    return str(MONTHS_3[month].title())  # Django's "M"


@functools.cache
def _weekday(language: str, weekday: int) -> str:
    return str(WEEKDAYS_ABBR[weekday])  # Django's "D"


@functools.cache
def _month(language: str, month: int) -> str:
    return str(MONTHS[month])  # Django's "F"
