"""Sending declarations in bulk in headless Chromium: the list, the page showing what will be
sent, and DfE's answer; axe finds nothing serious on any of them. Screenshots go to
test-artifacts/."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dfe.fake import FakeDfe
from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory

from .declaration_setup import (
    SENIOR_LEADERSHIP,
    attended,
    dfe_cohort,
    dfe_connection,
    linked_place,
    partner_link,
    programme_for,
    use_fake,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bulk_declaration_submit_has_no_serious_violations(
    live_server, page, monkeypatch, settings
):
    fake = FakeDfe(now=timezone.now() + datetime.timedelta(minutes=5))
    programme = programme_for(SENIOR_LEADERSHIP, name="NPQ in Senior Leadership")
    connection = dfe_connection(programme)
    cohort = dfe_cohort(programme)
    partner_link(connection, fake)
    places = [
        linked_place(connection, fake, cohort, first_name=name) for name in ("Ada", "Siobhán")
    ]
    attended(cohort, *places)
    use_fake(monkeypatch, settings, fake)
    SCREENSHOTS.mkdir(exist_ok=True)
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    page.goto(live_server.url + reverse("dfe:declaration-list"))
    page.screenshot(path=SCREENSHOTS / "dfe-declarations-ready.png", full_page=True)
    ready_serious, ready_report = serious_violations(page)
    page.get_by_role("button", name="Submit all ready (2)").click()
    page.get_by_role("heading", name="Send 2 declarations to DfE").wait_for()
    page.screenshot(path=SCREENSHOTS / "dfe-declarations-confirm.png", full_page=True)
    confirm_serious, confirm_report = serious_violations(page)
    page.get_by_role("button", name="Send 2 to DfE").click()
    page.locator(".alert-success").wait_for()
    assert "2 declarations sent to DfE." in page.locator(".alert-success").inner_text()
    page.screenshot(path=SCREENSHOTS / "dfe-declarations-sent.png", full_page=True)
    sent_serious, sent_report = serious_violations(page)

    assert len(fake.declarations) == 2
    assert page.get_by_role("row", name="Siobhán").get_by_text("Eligible for payment").is_visible()
    assert ready_serious == [], ready_report
    assert confirm_serious == [], confirm_report
    assert sent_serious == [], sent_report
