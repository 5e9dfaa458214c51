"""The short dates the row tags write (npq_portal/templatetags/dates.py) are what Django's date
filter writes for the same pattern, in local time, across both clock changes of a year."""

import datetime

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from npq_portal.templatetags.dates import LocalDates, day_month_year, day_month_year_time, when

START = datetime.datetime(2026, 1, 1, 0, 0, 59, tzinfo=datetime.UTC)
# Every hour of a year (a different minute each), and a second each side of midnight.
MOMENTS = [START + datetime.timedelta(hours=hour, minutes=hour % 60) for hour in range(24 * 366)]
MOMENTS += [START - datetime.timedelta(seconds=59), START + datetime.timedelta(seconds=1)]


def test_a_moment_is_written_as_djangos_date_filter_writes_it():
    for moment in MOMENTS:
        local = timezone.localtime(moment)
        for sep, seconds, pattern in (
            (", ", False, "j M Y, H:i"),
            (", ", True, "j M Y, H:i:s"),
            (" ", False, "j M Y H:i"),
        ):
            assert day_month_year_time(moment, sep=sep, seconds=seconds) == date_format(
                local, pattern
            ), (moment, pattern)
        assert day_month_year(local) == date_format(local, "j M Y")
        assert LocalDates().day_full_month(local) == date_format(local, "j F")
        assert LocalDates().day_full_month_year(local) == date_format(local, "j F Y")
        assert LocalDates().day_month(LocalDates().local(moment)) == date_format(local, "j M")


def test_a_tables_dates_are_in_the_zone_active_when_it_was_begun():
    """A row tag makes one LocalDates for its table: it writes what the functions write, in
    the zone (and language) of the moment it was made."""
    moment = datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)  # summer: BST
    dates = LocalDates()
    with timezone.override("America/New_York"):
        elsewhere = LocalDates()
        assert elsewhere.day_month_year_time(moment) == day_month_year_time(moment)

    assert dates.day_month_year_time(moment) == "2 Jul 2026, 00:30"
    assert elsewhere.day_month_year_time(moment) == "1 Jul 2026, 19:30"
    assert dates.local(moment) == timezone.localtime(moment)
    assert dates.day_month(dates.local(moment).date()) == "2 Jul"


def test_when_writes_the_day_and_time_as_djangos_date_filter_does():
    """`|when` (and LocalDates.when, for tables): "D j M, H:i", with the year ("D j M Y")
    more than six months from now; across a year, so both near and far."""
    dates = LocalDates()
    years = 0
    for moment in MOMENTS:
        local = timezone.localtime(moment)
        near = abs(local - dates.now) <= datetime.timedelta(days=183)
        day = "D j M" if near else "D j M Y"
        years += not near
        assert dates.when(moment) == date_format(local, f"{day}, H:i"), moment
        assert dates.when(moment, with_time=False) == date_format(local, day), moment
        assert when(moment) == dates.when(moment)
    assert 0 < years < len(MOMENTS)


# ---- The |date filter: the portal's builtin writes what Django's writes ----

PATTERNS = (
    *("j F Y", "j M Y", "j F Y, H:i", "j M Y, H:i", "H:i", "l j F Y", "l j F Y, H:i", "j F"),
    *("j M, H:i", "j M", "j F, H:i", "D j M Y, H:i", "Y-m-d", "Y", "D j M Y", "l j F, H:i"),
    *("D j M, H:i", "d/m/Y", "jS F Y", r"j \o\f F", "N j, Y", "x j", "", "j  M"),
    *("DATE_FORMAT", "SHORT_DATE_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT"),
)


def test_the_date_filter_writes_what_djangos_writes():
    from django.template.defaultfilters import date as djangos_date

    from npq_portal.templatetags.dates import date

    for moment in MOMENTS[::7]:
        local = timezone.localtime(moment)
        for pattern in PATTERNS:
            assert date(local, pattern) == djangos_date(local, pattern), (moment, pattern)
            day = local.date()
            if "H:i" in pattern:  # no time of a date, in either
                for write in (date, djangos_date):
                    with pytest.raises(TypeError):
                        write(day, pattern)
            else:
                assert date(day, pattern) == djangos_date(day, pattern), (day, pattern)
    for value, pattern in (("2026-01-01", "j M"), (None, "j M"), ("", "j M"), (START, None)):
        assert date(value, pattern) == djangos_date(value, pattern)


def test_templates_use_the_portals_date_filter_in_local_time():
    from django.template import Context, Engine, engines

    from npq_portal.templatetags.dates import date

    source = '{{ moment|date:"l j F Y, H:i" }}|{{ moment|date:"j M" }}|{{ day|date:"D j M Y" }}'
    template = engines["django"].from_string(source)
    assert template.template.nodelist[0].filter_expression.filters[0][0] is date
    for moment in MOMENTS[::97]:
        context = {"moment": moment, "day": moment.date()}
        djangos = Engine().from_string(source).render(Context(context))
        assert template.render(context) == djangos, moment
