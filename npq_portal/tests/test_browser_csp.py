import pytest
from django.urls import reverse

from reports.models import Export
from reports.tests.factories import ExportFactory

from .browser import browser_sign_in
from .factories import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browser_tests_notice_what_the_policy_refuses(live_server, page, csp_violations):
    page.goto(live_server.url + "/")

    # As injected markup would: an inline script and an inline style, both refused.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
          document.body.setAttribute("style", "background: red");
        }"""
    )

    assert page.evaluate("window.injected") is None
    assert any("script-src" in violation for violation in csp_violations), csp_violations
    assert any("style-src" in violation for violation in csp_violations), csp_violations
    csp_violations.clear()  # seen and expected: the test would otherwise fail on them


def _visit(page, live_server, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")


def test_the_admin_and_the_account_and_mfa_pages_keep_to_the_policy(live_server, page):
    superuser = StaffUserFactory(is_superuser=True, is_staff=True)
    browser_sign_in(page, live_server, superuser)

    _visit(
        page,
        live_server,
        [
            "/admin/",
            "/admin/npq_portal/user/",
            f"/admin/npq_portal/user/{superuser.pk}/change/",
            "/admin/auth/group/add/",  # its permission picker is all script
            "/accounts/email/",
            "/accounts/password/change/",
            "/accounts/2fa/",
            "/accounts/2fa/recovery-codes/generate/",
        ],
    )


def test_pages_with_progress_bars_and_the_email_preview_keep_to_the_policy(live_server, page):
    staff = StaffUserFactory()
    browser_sign_in(page, live_server, staff)

    _visit(page, live_server, [reverse("reminders:email-preview")])
    frame_height = page.locator("iframe").evaluate("frame => frame.offsetHeight")
    assert frame_height > 300  # 28rem from the stylesheet, not an inline style

    export = ExportFactory(
        requested_by=staff, status=Export.Status.RUNNING, rows_total=10, rows_done=4
    )
    _visit(page, live_server, [reverse("reports:export-detail", args=[export.pk])])
    bar = page.locator("#export-bar .progress-bar")
    assert bar.evaluate("bar => bar.style.width") == "40%"
