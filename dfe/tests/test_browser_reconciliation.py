"""The reconciliation page in headless Chromium: every bucket axe-clean, and staff invite
someone only at DfE and link a DfE application by hand. Screenshots go to test-artifacts/."""

import re

import pytest
from django.urls import reverse

from dfe.models import DfeApplication
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory

from .reconciling import Hub
from .test_reconciliation_views import Scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_bucket_has_no_serious_violations_and_its_actions_work(live_server, page, mailoutbox):
    hub = Hub()
    scene = Scene(hub)
    DfeApplication.objects.filter(dfe_id=scene.dfe_only_id).update(
        candidate_ids=[scene.portal_only.pk]
    )
    browser_sign_in(page, live_server, StaffUserFactory())
    page.goto(live_server.url + reverse("dfe:reconciliation"))

    found = {}
    for tab, slug in [
        ("Disagreements", "disagreements"),
        ("Matched", "matched"),
        ("Only in the portal", "portal-only"),
        ("Only at DfE", "dfe-only"),
    ]:
        page.get_by_role("link", name=re.compile(f"^{tab} \\(")).click()
        page.wait_for_load_state()
        page.screenshot(path=SCREENSHOTS / f"dfe-reconciliation-{slug}.png", full_page=True)
        found[tab] = serious_violations(page)

    page.get_by_role("button", name=re.compile("Invite them to apply")).click()
    page.wait_for_load_state()
    assert page.get_by_text("Olive Onlyatdfe has been invited to apply.").is_visible()
    page.get_by_label("Portal application").select_option(str(scene.portal_only.pk))
    page.get_by_role("button", name=re.compile("^Link")).click()
    page.wait_for_load_state()

    assert page.get_by_text("DfE's application for Olive Onlyatdfe is linked.").is_visible()
    assert len(mailoutbox) == 1
    for tab, (serious, report) in found.items():
        assert serious == [], f"{tab}: {report}"
