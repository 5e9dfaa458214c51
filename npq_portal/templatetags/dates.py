"""`{{ session.starts_at|when }}`: a session's day and time, with the year when it is more than
six months from today (so "Tue 14 Oct" is never read as this year's when it is next year's).

And `|date`, as Django's filter writes it, for the patterns the portal's templates use: each
pattern is read once into its parts, then written for each date in a few microseconds (Django's
reads the pattern, and looks up the language and zone, for every date: 12 to 15 µs). A pattern
with any other letter, or a value that is not a date, goes to Django's own filter.

A builtin (settings.TEMPLATES), so every template has these without a {% load %}.
"""

import datetime
import functools

from django import template
from django.template.defaultfilters import date as djangos_date
from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import get_language

register = template.Library()

NEAR = datetime.timedelta(days=183)  # six months


@register.filter(name="when")
def when(moment: datetime.datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    return LocalDates().when(moment, with_time=with_time)


@register.filter(name="date", expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `|date`, faster for a pattern of the letters `_DATE_PARTS` knows."""
    pattern = _date_parts(arg) if isinstance(arg, str) and arg else None
    kind = type(value)
    if pattern is None or kind not in (datetime.date, datetime.datetime):
        return djangos_date(value, arg)
    parts, has_time = pattern
    if has_time and kind is datetime.date:
        return djangos_date(value, arg)  # Django refuses a time of a date: as it does
    language = get_language()
    return "".join(part if type(part) is str else part(value, language) for part in parts)


# Django's date format letters the portal's templates use, each as Django writes it.
_DATE_PARTS = {
    "j": lambda value, language: str(value.day),
    "d": lambda value, language: f"{value.day:02d}",
    "m": lambda value, language: f"{value.month:02d}",
    "F": lambda value, language: _month(language, value.month),
    "M": lambda value, language: _short_month(language, value.month),
    "Y": lambda value, language: f"{value.year:04d}",
    "H": lambda value, language: f"{value.hour:02d}",
    "i": lambda value, language: f"{value.minute:02d}",
    "l": lambda value, language: _weekday_full(language, value.weekday()),
    "D": lambda value, language: _weekday(language, value.weekday()),
}
_TIME_LETTERS = {"H", "i"}


@functools.lru_cache(maxsize=256)
def _date_parts(pattern: str) -> tuple[tuple, bool] | None:
    """The pattern as Django's DateFormat reads it (a letter is a part of the date, anything
    else is written as it is): its parts, each a text or a letter's function, and whether it
    has a time. None, for Django's filter to write, when a letter is not in _DATE_PARTS or the
    pattern has a backslash (Django's rules for what it escapes are its own)."""
    if "\\" in pattern:
        return None
    parts: list = []
    literal = ""
    for character in pattern:
        if character.isalpha():
            if character not in _DATE_PARTS:
                return None
            if literal:
                parts.append(literal)
                literal = ""
            parts.append(_DATE_PARTS[character])
        else:
            literal += character
    if literal:
        parts.append(literal)
    return tuple(parts), any(letter in _TIME_LETTERS for letter in pattern)


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


@functools.cache
def _weekday_full(language: str, weekday: int) -> str:
    return str(WEEKDAYS[weekday])  # Django's "l"
