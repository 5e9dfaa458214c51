import pytest

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
