"""Sending email: every message is logged in EmailDelivery and sent at most once per occasion.

An email is identified by (recipient, kind, about, occasion). `email_send_once` creates that
row and sends in one transaction while holding the row's lock, so a retried task, a task run
twice or two workers racing each other send it once. Templates live in templates/emails/:
`<kind>_subject.txt`, `<kind>.txt` and `<kind>.html`, all rendered with the same context.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone

from .models import EmailDelivery

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """Sending failed; the delivery log says so, and the caller (a task) may retry."""


def email_about_key(obj: models.Model | None) -> str:
    """How a delivery names what it is about: `app_label.model:pk`, or blank."""
    if obj is None:
        return ""
    return f"{obj._meta.label_lower}:{obj.pk}"


def _render_plain_text(template_name: str, context: dict) -> str:
    """Subjects and text parts are not HTML: render them without HTML escaping."""
    template = engines["django"].engine.get_template(template_name)
    return template.render(Context(context, autoescape=False))


def email_render(*, kind: str, context: dict) -> EmailMultiAlternatives:
    """Build a message with plain-text and HTML parts from the kind's templates."""
    context = {
        "site_name": "NPQ Portal",
        "hub_contact_email": settings.HUB_CONTACT_EMAIL,
        **context,
    }
    subject = _render_plain_text(f"emails/{kind}_subject.txt", context)
    subject = " ".join(subject.split())  # a header must be one line
    text = _render_plain_text(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=None)
    message.attach_alternative(html, "text/html")
    return message


def email_send_once(
    *,
    to: str,
    kind: str,
    about: models.Model | None = None,
    occasion: str = "",
    context: dict | None = None,
    headers: dict[str, str] | None = None,
) -> EmailDelivery:
    """Send the `kind` email to `to` unless this occasion's copy was already sent.

    Raises EmailNotSent when the mail server refuses; the delivery is then kept as failed with
    the error, and a retry of the same call tries again.
    """
    message = email_render(kind=kind, context={"recipient": to, **(context or {})})
    message.extra_headers.update(headers or {})
    return _deliver(message, to=to, kind=kind, about=email_about_key(about), occasion=occasion)


# Links that act for the person they were sent to (approve for a school, confirm or leave the
# mailing list, stop reminders, confirm an address, reset a password, a calendar feed): the
# log keeps the text staff may read, not the link.
PERSONAL_LINK = re.compile(
    r"(?:https?://[^\s/]+)?/(?:approve|mailing-list/(?:confirm|manage|unsubscribe)|reminders/stop"
    r"|accounts/confirm-email|accounts/password/reset/key|calendar)/[^\s<>\"')]+"
)
PERSONAL_LINK_REMOVED = "[their personal link, not kept in the log]"


def email_redact(text: str) -> str:
    """An email's text as the log keeps it: every personal link replaced by a note."""
    return PERSONAL_LINK.sub(PERSONAL_LINK_REMOVED, text or "")


def email_send_message(*, message: EmailMultiAlternatives, kind: str) -> EmailDelivery:
    """Log and send a message built elsewhere (allauth's account email): each call sends."""
    (recipient,) = message.to
    return _deliver(message, to=recipient, kind=kind, about="", occasion=uuid.uuid4().hex)


def delivery_message_id(*, to: str, kind: str, about: str, occasion: str) -> str:
    """The Message-ID header of one email: made from what identifies it (keyed with the
    secret key, so it names nothing), so every attempt to send it carries the same one."""
    from urllib.parse import urlparse

    from django.utils.crypto import salted_hmac

    digest = salted_hmac("email-message-id", f"{to}|{kind}|{about}|{occasion}").hexdigest()
    domain = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"<{digest[:32]}@{domain}>"


def _deliver(
    message: EmailMultiAlternatives, *, to: str, kind: str, about: str, occasion: str
) -> EmailDelivery:
    to = to.strip().lower()
    error: Exception | None = None
    with transaction.atomic():
        # The lock makes a second sender wait until the first has committed, then see "sent".
        delivery, _ = EmailDelivery.objects.select_for_update().get_or_create(
            recipient=to,
            kind=kind,
            about=about,
            occasion=occasion,
            defaults={"subject": message.subject[:255], "body": email_redact(message.body)},
        )
        if delivery.status == EmailDelivery.Status.SENT:
            logger.info("Email %s already sent (delivery %s)", kind, delivery.pk)
            return delivery
        message.to = [to]
        # The same Message-ID on every attempt: if a worker dies after the mail server took the
        # message but before "sent" was committed, the copy sent again is recognisably the
        # same message (mail systems drop a second copy of a Message-ID).
        message.extra_headers["Message-ID"] = delivery_message_id(
            to=to, kind=kind, about=about, occasion=occasion
        )
        message.from_email = message.from_email or settings.DEFAULT_FROM_EMAIL
        delivery.attempts += 1
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001  any backend failure is logged, then retried
            error = exc
            delivery.status = EmailDelivery.Status.FAILED
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            delivery.status = EmailDelivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save()
    if error is not None:
        logger.warning("Email %s failed (delivery %s): %s", kind, delivery.pk, type(error).__name__)
        raise EmailNotSent(delivery.last_error) from error
    return delivery


# How a task that sends email retries: a failed send is tried again, waiting longer each time.
EMAIL_RETRY = {
    "autoretry_for": (EmailNotSent, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}
