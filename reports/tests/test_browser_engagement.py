"""Work Group engagement in headless Chromium: the roster (with its quick dates), the hub's
area, its engagement chart and the grants list; axe finds nothing serious on any of them.
Screenshots go to test-artifacts/."""

import datetime
import re

import pytest
from django.urls import reverse

from applications.services import application_accept
from applications.tests.factories import team_sign_up
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from participants.models import GrantClaim
from programmes.models import ProgrammeGrant
from programmes.tests.factories import work_group_programme
from schools.models import LocalAuthority
from schools.tests.factories import SchoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_engagement_pages_read_well_and_pass_axe(live_server, page):
    programme = work_group_programme(name="Mastering Number", short_name="MN", slug="mn")
    ProgrammeGrant.objects.create(
        programme=programme, academic_year=2025, amount=1000, purpose="Towards cover"
    )
    cohort = CohortFactory(
        programme=programme,
        academic_year=2025,
        name="Autumn group",
        starts_on=datetime.date(2025, 10, 1),
        ends_on=datetime.date(2026, 7, 17),
    )
    LocalAuthority.objects.create(code="875", name="Cheshire West")
    LocalAuthority.objects.create(code="344", name="Wirral")
    for name in ("Ash Primary", "Birch Primary"):
        application = team_sign_up(cohort=cohort, school=SchoolFactory(name=name))
        application_accept(application=application, by=UserFactory())
    SchoolFactory(name="Cedar Primary")
    administrator = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    browser_sign_in(page, live_server, administrator)
    SCREENSHOTS.mkdir(exist_ok=True)
    found = {}

    page.goto(live_server.url + reverse("schools:hub-area"))
    found["area form"] = serious_violations(page)
    page.get_by_label("Cheshire West (875)").check()
    page.get_by_role("button", name="Save the hub's area").click()
    page.get_by_role("link", name="See the hub's engagement by local authority").click()
    page.get_by_label("School year", exact=True).select_option("2025")
    page.get_by_role("button", name="Show").click()
    page.screenshot(path=SCREENSHOTS / "engagement-area.png", full_page=True)
    found["area"] = serious_violations(page)
    share = page.get_by_role("row", name="Cheshire West").inner_text()

    page.goto(live_server.url + reverse("reports:engagement-roster") + "?programme=mn&year=2025")
    page.get_by_role("link", name="August completions (31 Aug 2026)").click()
    august = page.get_by_role("row", name="Ash Primary").count()  # signed up since then
    page.get_by_role("link", name=re.compile(r"^Today \(")).click()
    page.screenshot(path=SCREENSHOTS / "engagement-roster.png", full_page=True)
    found["roster"] = serious_violations(page)
    ash = page.get_by_role("row", name="Ash Primary").inner_text()

    page.goto(live_server.url + reverse("reports:grant-claim-list"))
    page.get_by_role("button", name="Mark claim received from Ash Primary").click()
    page.screenshot(path=SCREENSHOTS / "grant-claims.png", full_page=True)
    found["grants"] = serious_violations(page)

    for name, (serious, report) in found.items():
        assert serious == [], f"{name}: {report}"
    assert share.split() == ["Cheshire", "West", "3", "2", "66.7%"]
    assert august == 0 and "Active" in ash
    assert GrantClaim.objects.get(school_place__school__name="Ash Primary").status == "claimed"
    assert page.get_by_text("Ash Primary's claim marked received.").is_visible()
