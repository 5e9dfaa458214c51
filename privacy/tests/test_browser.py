"""The personal-data pages in headless Chromium: the notice, a download, and an erasure."""

import io
import json
import zipfile

import pytest

from npq_portal.models import User
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_finds_the_privacy_notice_from_the_footer(live_server, page):
    page.goto(live_server.url)
    page.get_by_role("link", name="Privacy notice").click()

    page.wait_for_url("**/privacy/")
    assert page.get_by_role("heading", name="Your rights").is_visible()
    serious, report = serious_violations(page)
    assert not serious, report
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "privacy-notice.png", full_page=True)


def test_a_teacher_downloads_their_data_from_their_home_page(live_server, page):
    teacher = UserFactory(first_name="Ada", last_name="Byron")
    browser_sign_in(page, live_server, teacher)

    page.get_by_role("link", name="Download your data").click()
    page.screenshot(path=SCREENSHOTS / "my-data.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download your data").click()

    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
        assert json.loads(archive.read("person.json"))["account"]["last_name"] == "Byron"


def test_an_administrator_erases_a_person_from_their_page(live_server, page):
    admin = StaffUserFactory()
    person = UserFactory(first_name="Nell", last_name="Gwynne")
    browser_sign_in(page, live_server, admin)

    page.goto(f"{live_server.url}/staff/people/{person.pk}/")
    page.get_by_role("link", name="Erase their personal data").click()
    page.get_by_label("Reason").fill("Their request of 3 March")
    page.get_by_label("I understand").check()
    serious, report = serious_violations(page)
    assert not serious, report
    page.screenshot(path=SCREENSHOTS / "person-erase.png", full_page=True)
    page.get_by_role("button", name="Erase their personal data").click()

    page.wait_for_url(f"**/staff/people/{person.pk}/")
    assert page.get_by_text("personal data is erased").is_visible()
    page.screenshot(path=SCREENSHOTS / "person-erased.png", full_page=True)
    assert User.objects.get(pk=person.pk).erased_at is not None
