"""The dashboard in headless Chromium: axe finds nothing serious; a screenshot goes to
test-artifacts/."""

import pytest
from django.urls import reverse

from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_reads_well_and_passes_axe(live_server, page, hub):
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    browser_sign_in(page, live_server, lead)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("reports:dashboard"))
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / "dashboard-phone.png", full_page=True)
    serious, report = serious_violations(page)
    page.get_by_label("Programme", exact=True).select_option("npq-a")
    page.get_by_role("button", name="Show", exact=True).click()

    assert serious == [], report
    assert "programme=npq-a" in page.url
    assert page.get_by_role("cell", name="NPQB").count() == 0


def test_the_cohort_report_prints_without_the_sites_chrome_and_passes_axe(live_server, page, hub):
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    browser_sign_in(page, live_server, lead)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("reports:cohort-report", args=[hub["b1"].pk]))
    serious, report = serious_violations(page)
    page.screenshot(path=SCREENSHOTS / "cohort-report.png", full_page=True)
    print_button = page.get_by_role("button", name="Print this report")
    visible_on_screen = print_button.is_visible()
    page.emulate_media(media="print")
    page.screenshot(path=SCREENSHOTS / "cohort-report-print.png", full_page=True)

    assert serious == [], report
    assert visible_on_screen and not print_button.is_visible()
    assert not page.get_by_role("navigation", name="Breadcrumb").is_visible()
    assert page.get_by_role("heading", name="Cohort report").is_visible()
