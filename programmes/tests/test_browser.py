"""The programme page on a phone, in headless Chromium."""

import pytest

from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.tests.browser import SCREENSHOTS, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}  # a common phone's screen, in CSS pixels


def test_on_a_phone_the_apply_button_is_on_the_first_screen(live_server, page):
    cohort = CohortFactory(
        status=Cohort.Status.OPEN,
        name="Autumn start, Chester",
        programme__name="NPQ in Leading Primary Mathematics",
        programme__who_for="Teachers who lead mathematics in primary schools. " * 12,
    )
    page.set_viewport_size(PHONE)

    page.goto(live_server.url + cohort.programme.get_absolute_url())

    apply = page.get_by_role("link", name="Apply for Autumn start, Chester")
    box = apply.bounding_box()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "programme-phone.png")
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    serious, report = serious_violations(page)
    assert not serious, report
