"""School terms (reports/terms.py), pure: no database."""

import datetime

import pytest

from reports.terms import term_from_slug, term_named, term_of

d = datetime.date


@pytest.mark.parametrize(
    "day, name, academic_year",
    [
        (d(2027, 9, 1), "autumn", 2027),
        (d(2027, 12, 31), "autumn", 2027),
        (d(2028, 1, 1), "spring", 2027),
        (d(2028, 3, 31), "spring", 2027),
        (d(2028, 4, 1), "summer", 2027),
        (d(2028, 8, 31), "summer", 2027),
        (d(2028, 9, 1), "autumn", 2028),
    ],
)
def test_every_day_falls_in_one_term(day, name, academic_year):
    term = term_of(day)

    assert (term.name, term.academic_year) == (name, academic_year)
    assert term.contains(day)


def test_terms_follow_one_another_without_gaps():
    autumn = term_named("autumn", 2027)

    assert autumn.label == "Autumn term 2027 (2027/28)"
    assert autumn.next().label == "Spring term 2028 (2027/28)"
    assert autumn.next().next().next() == term_named("autumn", 2028)
    assert autumn.previous() == term_named("summer", 2026)
    assert autumn.previous().ends_on + datetime.timedelta(days=1) == autumn.starts_on


@pytest.mark.parametrize("slug", ["2027-winter", "27-autumn", "autumn", "", "2027autumn"])
def test_a_slug_that_names_no_term_is_refused(slug):
    with pytest.raises(ValueError, match="term"):
        term_from_slug(slug)


def test_a_slug_names_a_term():
    assert term_from_slug("2027-spring") == term_named("spring", 2027)
    assert term_named("spring", 2027).slug == "2027-spring"
