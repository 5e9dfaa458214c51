"""The signed link that lets a headteacher (or their delegate) decide without an account."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Application

# Named when this was the participants app, and kept: links already emailed must still open.
APPROVAL_SALT = "participants.application.approval"


APPROVAL_MAX_AGE = timedelta(days=28)


def approval_token(application) -> str:
    """A link for whoever decides for the school; a new approver gets a new link."""
    return signing.dumps(
        {"id": application.pk, "email": application.approver_email}, salt=APPROVAL_SALT
    )


def application_from_approval_token(token: str):
    """The application an approval link is for, or None when forged, expired or superseded."""
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
        "applications:school-approval", args=[approval_token(application)]
    )
