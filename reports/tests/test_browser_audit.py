"""The audit log in headless Chromium: filtering by the form, axe finds nothing serious, and
screenshots go to test-artifacts/."""

import pytest
from django.urls import reverse

from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory

from .audit_data import every_kind_of_change

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hub_administrator_searches_the_audit_log(live_server, page):
    admin = StaffUserFactory(first_name="Hannah", last_name="Okafor")
    every_kind_of_change(admin=admin)
    browser_sign_in(page, live_server, admin)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("reports:dashboard"))
    page.get_by_role("button", name="Records").click()
    page.get_by_role("link", name="Audit log").click()
    page.screenshot(path=SCREENSHOTS / "audit-log.png", full_page=True)
    serious, report = serious_violations(page)
    rows_before = page.locator("tbody tr").count()
    page.get_by_label("Search").fill("flooded")
    page.get_by_label("Kind").select_option(label="Session")
    page.get_by_role("button", name="Filter").click()
    page.screenshot(path=SCREENSHOTS / "audit-log-filtered.png", full_page=True)
    filtered_rows = page.locator("tbody tr")
    filtered = filtered_rows.count(), filtered_rows.first.inner_text()
    page.get_by_label("Search").fill("nothing like this")
    page.get_by_role("button", name="Filter").click()
    no_matches = page.get_by_text("No changes match these filters.").is_visible()
    serious_no_matches, report_no_matches = serious_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Clear", exact=True).click()
    page.screenshot(path=SCREENSHOTS / "audit-log-phone.png", full_page=True)

    assert serious == [], report
    assert serious_no_matches == [], report_no_matches
    assert rows_before > 10
    assert filtered[0] == 1 and "Venue flooded" in filtered[1]
    assert "Hannah Okafor" in filtered[1]
    assert no_matches
    assert page.locator("tbody tr").count() == rows_before
