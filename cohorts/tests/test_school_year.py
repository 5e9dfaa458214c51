import datetime

import pytest

from cohorts.academic_years import academic_year_of
from cohorts.school_year import Holiday, SchoolYear, bank_holiday

D = datetime.date
AUTUMN_HALF_TERM = Holiday("Autumn half term", D(2026, 10, 26), D(2026, 10, 30))
YEAR = SchoolYear(holidays=(AUTUMN_HALF_TERM,))


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2026, 10, 22), None),  # a Thursday in term
        (D(2026, 10, 24), "Saturday"),
        (D(2026, 10, 25), "Sunday"),
        (D(2026, 10, 26), "Autumn half term"),  # its first day
        (D(2026, 10, 30), "Autumn half term"),  # its last day
        (D(2026, 11, 2), None),  # back at school
        (D(2026, 12, 25), "Christmas Day (bank holiday)"),
        (D(2026, 12, 28), "Boxing Day (observed) (bank holiday)"),  # the substitute day
        (D(2027, 5, 31), "Spring Bank Holiday (bank holiday)"),
        (D(2027, 5, 3), "May Day (bank holiday)"),
    ],
)
def test_a_day_is_a_teaching_day_or_says_why_not(day, why):
    assert YEAR.why_not_teaching(day) == why
    assert YEAR.is_teaching_day(day) is (why is None)


def test_bank_holidays_are_england_and_waless_not_scotlands():
    assert bank_holiday(D(2027, 8, 30)) == "Late Summer Bank Holiday"  # not Scotland's
    assert bank_holiday(D(2027, 1, 4)) is None  # Scotland's 2 January holiday, observed
    assert bank_holiday(D(2027, 3, 17)) is None  # St Patrick's Day: Northern Ireland only


def test_teaching_days_leave_out_weekends_bank_holidays_and_the_calendars_holidays():
    days = YEAR.teaching_days(D(2026, 10, 23), D(2026, 11, 3))

    assert days == [D(2026, 10, 23), D(2026, 11, 2), D(2026, 11, 3)]


def test_without_a_calendar_only_weekends_and_bank_holidays_are_left_out():
    days = SchoolYear().teaching_days(D(2027, 5, 28), D(2027, 6, 1))

    assert days == [D(2027, 5, 28), D(2027, 6, 1)]  # the 31st is the Spring bank holiday


@pytest.mark.parametrize(
    ("day", "year"),
    [(D(2026, 7, 31), 2025), (D(2026, 8, 1), 2026), (D(2027, 2, 15), 2026)],
)
def test_a_day_belongs_to_the_academic_year_running_august_to_july(day, year):
    assert academic_year_of(day) == year
