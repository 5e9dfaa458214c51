"""Signed links for people without an account: confirm, manage and leave the mailing list."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Subscriber

CONFIRM_MAX_AGE = timedelta(days=7)  # unconfirmed sign-ups expire after this too


# The salts keep the names they had when this was the participants app: links already
# emailed must still open.
SALTS = {
    "confirm": "participants.subscriber.confirm",
    "manage": "participants.subscriber.manage",
}


def subscriber_token(subscriber, purpose: str) -> str:
    return signing.dumps({"id": subscriber.pk, "email": subscriber.email}, salt=SALTS[purpose])


def subscriber_from_token(token: str, purpose: str):
    """The subscriber a link is for, or None when it is forged, expired or out of date."""
    max_age = CONFIRM_MAX_AGE if purpose == "confirm" else None
    try:
        data = signing.loads(token, salt=SALTS[purpose], max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return Subscriber.objects.filter(pk=data.get("id"), email=data.get("email")).first()


def subscriber_links(subscriber) -> dict[str, str]:
    """Absolute links for emails: confirm, manage interests, unsubscribe."""
    base = settings.SITE_URL
    manage = subscriber_token(subscriber, "manage")
    return {
        "confirm_url": base
        + reverse(
            "mailing_list:subscriber-confirm", args=[subscriber_token(subscriber, "confirm")]
        ),
        "manage_url": base + reverse("mailing_list:subscriber-manage", args=[manage]),
        "unsubscribe_url": base + reverse("mailing_list:subscriber-unsubscribe", args=[manage]),
    }
