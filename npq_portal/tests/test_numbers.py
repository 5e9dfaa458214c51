"""Whole numbers read from addresses, forms and headers: only ASCII digits are a number, so
"²" (which str.isdigit() passes and int() refuses) reads as no number, not a server error."""

import sys

import pytest
from django.urls import reverse

from npq_portal.numbers import whole_number
from npq_portal.tests.factories import StaffUserFactory, sign_in


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("2026", 2026),
        ("007", 7),
        (42, 42),
        ("", None),
        ("-1", None),
        ("1.5", None),
        (" 12", None),
        ("²", None),  # isdigit() passes it; int() refuses it
        ("١٢", None),  # Arabic-Indic digits: int() reads them, an address should not
        ("9" * (sys.get_int_max_str_digits() + 1), None),  # past int()'s limit on digits
    ],
)
def test_a_whole_number_is_ascii_digits_alone(text, expected):
    assert whole_number(text) == expected


SUPERSCRIPT = "²"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("reports:milestone-list", {"academic_year": SUPERSCRIPT}),
        ("reports:milestone-list", {"cohort": SUPERSCRIPT}),
        ("reports:engagement-roster", {"year": SUPERSCRIPT * 4}),
        ("reports:engagement-area", {"year": SUPERSCRIPT}),
        ("reports:dashboard", {"year": SUPERSCRIPT, "partner": SUPERSCRIPT}),
        ("reports:grant-claim-list", {"year": SUPERSCRIPT}),
        ("applications:application-list", {"year": SUPERSCRIPT, "cohort": SUPERSCRIPT}),
        ("participants:charge-list", {"cohort": SUPERSCRIPT}),
        ("dfe:reconciliation", {"year": SUPERSCRIPT}),
        ("dfe:declaration-list", {"cohort": SUPERSCRIPT, "page": SUPERSCRIPT}),
        ("dfe:declaration-list", {"connection": SUPERSCRIPT}),
    ],
)
def test_a_superscript_digit_in_an_address_is_no_number_not_an_error(client, name, params):
    """Each failed with a server error (int() refused what isdigit() let through)."""
    sign_in(client, StaffUserFactory())

    response = client.get(reverse(name), params)

    assert response.status_code in (200, 404), response.status_code
