"""Changes of state on the mailing list: signing up, confirming, interests, leaving, news."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from npq_portal.emails import EmailNotSent, email_send_once
from npq_portal.outbox import outbox_enqueue
from schools.models import School

from .links import CONFIRM_MAX_AGE, subscriber_links
from .models import Subscriber
from .tasks import subscriber_send_email_task

CONSENT_TEXT = (
    "I agree that the hub may email me news of the programmes I have chosen, including when "
    "applications open. I can unsubscribe at any time from a link in every email."
)


# Confirmation emails one address may be sent in a day: the form is public.
CONFIRMATIONS_A_DAY = 3


@transaction.atomic
def subscriber_sign_up(
    *,
    email: str,
    first_name: str,
    last_name: str,
    programmes: list,
    school: School | None = None,
    consent_text: str = CONSENT_TEXT,
) -> Subscriber:
    """Add someone to the mailing list and email them a link to confirm their address.

    Someone already on the list is sent a link to change their interests instead: a form anyone
    can fill in must not change another person's subscription. Anyone else (new, unconfirmed
    or unsubscribed) must confirm again before they are on the list.
    """
    email = email.strip().lower()
    today = timezone.localdate().isoformat()
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None and subscriber.is_subscribed:
        # Once a day at most, whoever keeps filling in the form.
        outbox_enqueue(
            subscriber_send_email_task, subscriber.pk, "subscriber_already", f"already-{today}"
        )
        return subscriber
    if subscriber is None:
        subscriber = Subscriber(email=email)
    subscriber.first_name = first_name.strip()
    subscriber.last_name = last_name.strip()
    subscriber.school = school
    subscriber.consent_text = consent_text
    subscriber.consented_at = timezone.now()
    subscriber.confirmed_at = None  # on the list only once this address confirms
    subscriber.unsubscribed_at = None
    subscriber.confirmations_sent += 1
    if subscriber.confirmations_on != timezone.localdate():
        subscriber.confirmations_on, subscriber.confirmations_today = timezone.localdate(), 0
    subscriber.confirmations_today += 1
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError:  # the same address sent twice at once: the first one stands
        return Subscriber.objects.get(email=email)
    subscriber.programmes.set(programmes)
    if subscriber.confirmations_today <= CONFIRMATIONS_A_DAY:
        occasion = f"confirm-{subscriber.confirmations_sent}"
        outbox_enqueue(subscriber_send_email_task, subscriber.pk, "subscriber_confirm", occasion)
    return subscriber


def subscriber_send_email(*, subscriber: Subscriber, kind: str, occasion: str) -> None:
    """Send one of the mailing list's own emails, with its signed links."""
    links = subscriber_links(subscriber)
    email_send_once(
        to=subscriber.email,
        kind=kind,
        about=subscriber,
        occasion=occasion,
        context={"subscriber": subscriber, **links},
        headers=unsubscribe_headers(links) if subscriber.is_subscribed else None,
    )


def unsubscribe_headers(links: dict) -> dict[str, str]:
    """RFC 8058: mail apps show an Unsubscribe button that works in one click."""
    return {
        "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@transaction.atomic
def subscriber_confirm(*, subscriber: Subscriber) -> Subscriber:
    """Confirm a subscriber's address (following the link again changes nothing; it does not
    undo a later unsubscribe)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["confirmed_at", "unsubscribed_at", "updated_at"])
    return subscriber


@transaction.atomic
def subscriber_resubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Someone who unsubscribed comes back, from their own signed link."""
    Subscriber.objects.filter(pk=subscriber.pk).update(
        unsubscribed_at=None, updated_at=timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber


@transaction.atomic
def subscriber_update_interests(*, subscriber: Subscriber, programmes: list) -> Subscriber:
    """Change which programmes someone hears about."""
    subscriber.programmes.set(programmes)
    Subscriber.objects.filter(pk=subscriber.pk).update(updated_at=timezone.now())
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Take someone off the list at once; they can come back from the same page."""
    Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber


def subscribers_expire_unconfirmed(*, older_than=None) -> int:
    """Forget sign-ups never confirmed within the confirmation link's life; returns how many."""
    cutoff = timezone.now() - (older_than or CONFIRM_MAX_AGE)
    # From when they last signed up: asking again gives them a fresh week.
    expired = Subscriber.objects.filter(confirmed_at__isnull=True, consented_at__lt=cutoff)
    count, _ = expired.delete()
    return count


def cohort_announce(*, cohort) -> int:
    """Email every confirmed subscriber interested in the cohort's programme that applications
    are open: once each, however often this runs. Returns how many were sent to this time."""
    subscribers = (
        Subscriber.objects.confirmed()
        .filter(programmes=cohort.programme_id)
        .order_by("pk")
        .iterator(chunk_size=500)
    )
    context = {
        "cohort": cohort,
        "apply_url": settings.SITE_URL + cohort.programme.get_absolute_url(),
    }
    sent = 0
    for subscriber in subscribers:
        links = subscriber_links(subscriber)
        try:
            delivery = email_send_once(
                to=subscriber.email,
                kind="applications_open",
                about=cohort,
                occasion="opened",
                context={"subscriber": subscriber, **links, **context},
                headers=unsubscribe_headers(links),
            )
        except EmailNotSent:
            continue  # logged as failed for staff to see; one bad address stops no one else
        sent += delivery.attempts == 1 and delivery.status == "sent"
    return sent
