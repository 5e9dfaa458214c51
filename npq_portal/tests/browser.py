"""What every browser test shares: signing in through the real pages, and axe's verdict."""

import re
import time
from pathlib import Path

from allauth.mfa import app_settings as mfa_settings
from axe_playwright_python.sync_playwright import Axe

from .factories import PASSWORD, TOTP_SECRET, current_totp_code, user_has_totp

# Screenshots the tests take, to look at (ignored by git).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def browser_sign_in(page, live_server, user) -> None:
    """Sign in through the login page, with the authenticator code if they have one.

    Each click waits for the page it sends to, so the next step never cuts a sign-in short.
    A code is typed only with a few seconds of its period left, and typed again if the
    period turned while it was on its way (allauth accepts the current period's code only).
    """
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if user_has_totp(user):
        for _attempt in range(2):
            _wait_for_a_fresh_period()
            page.get_by_label("Code").fill(current_totp_code(TOTP_SECRET))
            with page.expect_navigation():
                page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
            if "/2fa/authenticate/" not in page.url:
                break
    page.wait_for_load_state()


def _wait_for_a_fresh_period(margin: float = 3.0) -> None:
    """Sleep past the end of the authenticator's period if fewer than `margin` seconds remain."""
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < margin:
        time.sleep(left + 0.1)


def serious_violations(page) -> tuple[list, str]:
    """axe's serious and critical findings on the page as it is now, and its report."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    return serious, results.generate_report()
