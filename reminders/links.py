"""The signed link in every optional reminder that stops them, with or without an account."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

# Named when this was the participants app, and kept: links already emailed must still work.
STOP_SALT = "participants.reminders.stop"


def reminder_stop_url(email: str) -> str:
    """A link in every optional reminder that turns optional reminders off for this address."""
    token = signing.dumps({"email": email.lower()}, salt=STOP_SALT)
    return settings.SITE_URL + reverse("reminders:reminders-stop", args=[token])


def email_from_stop_token(token: str) -> str | None:
    try:
        return signing.loads(token, salt=STOP_SALT)["email"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
