import pytest

from cohorts.academic_years import academic_year_label


@pytest.mark.parametrize(
    ("year", "label"), [(2026, "2026/27"), (2009, "2009/10"), (2099, "2099/00")]
)
def test_an_academic_year_is_its_first_year_and_the_next_ones_last_two_digits(year, label):
    assert academic_year_label(year) == label
