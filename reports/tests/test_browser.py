"""The dashboard in headless Chromium: axe finds nothing serious; a screenshot goes to
test-artifacts/."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from assessment.tests.test_browser import _sign_in
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_the_dashboard_reads_well_and_passes_axe(live_server, page, hub):
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    _sign_in(page, live_server, lead, totp=True)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("reports:dashboard"))
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / "dashboard-phone.png", full_page=True)
    results = Axe().run(page)
    page.get_by_label("Programme", exact=True).select_option("npq-a")
    page.get_by_role("button", name="Show", exact=True).click()

    serious = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert serious == [], results.generate_report()
    assert "programme=npq-a" in page.url
    assert page.get_by_role("cell", name="NPQB").count() == 0
