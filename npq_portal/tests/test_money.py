import pytest

from npq_portal.money import pounds


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(0, "£0"), (950, "£950"), (1250, "£1,250"), (12500, "£12,500"), (None, "")],
)
def test_pounds_are_shown_with_the_sign_and_thousands_separators(amount, shown):
    assert pounds(amount) == shown
