import time

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .access import user_access
from .roles import user_is_hub_staff

# Static files and the health check: no session rules at all.
EXEMPT_PATH_PREFIXES = ("/static/", "/healthz")
# Pages a staff member may use before proving a second factor: signing in and out, setting
# MFA up. An expired session still ends here.
MFA_EXEMPT_PATH_PREFIXES = ("/accounts/",)
MFA_REQUIRED_MESSAGE = (
    "Hub staff must protect their account with an authenticator app before using the portal. "
    "Set it up below; it takes a minute."
)


def session_used_mfa(request) -> bool:
    """True when this session's sign-in (or a later re-authentication) included a TOTP code."""
    methods = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    return any(entry.get("method") == "mfa" for entry in methods)


def mfa_facts(request) -> tuple[bool, bool]:
    """Whether this person needs MFA and has an authenticator, from the one query that also
    reads their roles and permissions (npq_portal/access.py)."""
    user = request.user
    access = user_access(user)
    needs_mfa = _needs_mfa(user)
    return needs_mfa, needs_mfa and access.has_totp


def _needs_mfa(user) -> bool:
    # Anyone who can reach staff pages or the admin, however they were given the right.
    return (
        user.is_staff
        or user.is_superuser
        or user_is_hub_staff(user)
        or user.has_perm("npq_portal.access_staff_area")
    )


# ---- Staff session expiry ----
SIGNED_IN_AT_KEY = "npq_signed_in_at"
LAST_SEEN_KEY = "npq_last_seen_at"
# The last-seen time is written at most every sixth of the idle limit (5 minutes of 30), so
# most pages save no session; an idle session so ends between 25 and 30 minutes after its
# last use.
LAST_SEEN_STEPS = 6
SESSION_EXPIRED_MESSAGE = (
    "For your security you were signed out after {minutes} minutes without using the portal, "
    "or {hours} hours after signing in. Sign in again to carry on where you were."
)
# A form sent after the session ended is not acted on: say so, so nobody thinks it saved.
SESSION_EXPIRED_FORM_LOST = " What you had just sent was not saved: please send it again."


def session_record_sign_in(session) -> None:
    """Start a session's sign-in and last-use clocks from now."""
    now = int(time.time())
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now


class StaffSessionMiddleware:
    """Hub staff sessions, checked in one place on every page (the MFA facts asked once):

    - they end after a while unused and a while after sign-in (settings STAFF_SESSION), and
      the person is sent to sign in (and give a code) again, then back to the page they asked
      for; teachers and school leaders keep the normal session length;
    - they use the portal and the admin only once the session proved a second factor. Without
      an authenticator, staff are sent to set one up; with one, but in a session that signed
      in some other way (the admin's own login form, say), they are asked for a code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(EXEMPT_PATH_PREFIXES) or not request.user.is_authenticated:
            return self.get_response(request)
        needs_mfa, has_totp = mfa_facts(request)
        if not needs_mfa:
            return self.get_response(request)
        if self._expired(request.session):
            return self._sign_out(request)
        if request.path.startswith(MFA_EXEMPT_PATH_PREFIXES):
            return self.get_response(request)
        if not has_totp:
            messages.info(request, MFA_REQUIRED_MESSAGE, fail_silently=True)
            return redirect(reverse("mfa_activate_totp"))
        if not session_used_mfa(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _expired(session) -> bool:
        """True when the session is past either limit; otherwise marks it as used now."""
        now = int(time.time())
        signed_in_at = session.setdefault(SIGNED_IN_AT_KEY, now)
        last_seen = session.setdefault(LAST_SEEN_KEY, now)
        limits = settings.STAFF_SESSION
        if (
            now - last_seen > limits["idle"].total_seconds()
            or now - signed_in_at > limits["max_age"].total_seconds()
        ):
            return True
        if now - last_seen >= limits["idle"].total_seconds() / LAST_SEEN_STEPS:
            session[LAST_SEEN_KEY] = now
        return False

    @staticmethod
    def _sign_out(request):
        next_path = request.get_full_path() if request.method == "GET" else request.path
        logout(request)  # a new, empty session: nothing of the old one is kept
        limits = settings.STAFF_SESSION
        message = SESSION_EXPIRED_MESSAGE.format(
            minutes=int(limits["idle"].total_seconds() // 60),
            hours=int(limits["max_age"].total_seconds() // 3600),
        )
        if request.method != "GET":
            message += SESSION_EXPIRED_FORM_LOST
        messages.info(request, message, fail_silently=True)
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_path})}")
