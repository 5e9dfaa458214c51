"""What every browser test shares: signing in through the real pages, and axe's verdict."""

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

from .factories import PASSWORD, TOTP_SECRET, current_totp_code, user_has_totp

# Screenshots the tests take, to look at (ignored by git).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def browser_sign_in(page, live_server, user) -> None:
    """Sign in through the login page, with the authenticator code if they have one."""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if user_has_totp(user):
        page.get_by_label("Code").fill(current_totp_code(TOTP_SECRET))
        page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_load_state()


def serious_violations(page) -> tuple[list, str]:
    """axe's serious and critical findings on the page as it is now, and its report."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    return serious, results.generate_report()
