"""Signed links for people without an account: confirm, manage and leave the mailing list."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

CONFIRM_MAX_AGE = timedelta(days=7)  # unconfirmed sign-ups expire after this too
SALTS = {
    "confirm": "participants.subscriber.confirm",
    "manage": "participants.subscriber.manage",
}


def subscriber_token(subscriber, purpose: str) -> str:
    return signing.dumps({"id": subscriber.pk, "email": subscriber.email}, salt=SALTS[purpose])


def subscriber_from_token(token: str, purpose: str):
    """The subscriber a link is for, or None when it is forged, expired or out of date."""
    from .models import Subscriber

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
            "participants:subscriber-confirm", args=[subscriber_token(subscriber, "confirm")]
        ),
        "manage_url": base + reverse("participants:subscriber-manage", args=[manage]),
        "unsubscribe_url": base + reverse("participants:subscriber-unsubscribe", args=[manage]),
    }


APPROVAL_SALT = "participants.application.approval"
APPROVAL_MAX_AGE = timedelta(days=28)


def approval_token(application) -> str:
    """A link for whoever decides for the school; a new approver gets a new link."""
    return signing.dumps(
        {"id": application.pk, "email": application.approver_email}, salt=APPROVAL_SALT
    )


def application_from_approval_token(token: str):
    """The application an approval link is for, or None when forged, expired or superseded."""
    from .models import Application

    try:
        data = signing.loads(token, salt=APPROVAL_SALT, max_age=APPROVAL_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Application.objects.select_related("cohort__programme", "applicant", "school")
        .filter(pk=data.get("id"), approver_email=data.get("email"))
        .first()
    )


def approval_url(application) -> str:
    return settings.SITE_URL + reverse(
        "participants:school-approval", args=[approval_token(application)]
    )


STOP_SALT = "participants.reminders.stop"


def reminder_stop_url(email: str) -> str:
    """A link in every optional reminder that turns optional reminders off for this address."""
    token = signing.dumps({"email": email.lower()}, salt=STOP_SALT)
    return settings.SITE_URL + reverse("participants:reminders-stop", args=[token])


def email_from_stop_token(token: str) -> str | None:
    try:
        return signing.loads(token, salt=STOP_SALT)["email"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
