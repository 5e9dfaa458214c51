"""Receivers for other packages' signals (allauth), connected when the app is ready."""

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import email_confirmed
from allauth.mfa.signals import authenticator_added
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver

from .middleware import session_record_sign_in
from .tasks import user_send_welcome_task


@receiver(email_confirmed, dispatch_uid="npq_portal.welcome_on_email_confirmed")
def welcome_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    if email_address.primary or email_address.user.email == email_address.email:
        # Robust: with tasks run in-process, a mail server failure (already in the delivery
        # log as failed) must not turn the confirmation page into an error page.
        user_id = email_address.user_id
        transaction.on_commit(lambda: user_send_welcome_task.delay(user_id), robust=True)


@receiver(authenticator_added, dispatch_uid="npq_portal.mfa_counts_for_this_session")
def mfa_counts_for_this_session(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP needs a valid code, so the session that did it has proved MFA."""
    if authenticator.type == authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", type="totp")


@receiver(user_logged_in, dispatch_uid="npq_portal.session_record_sign_in")
def record_sign_in_time(sender, request, user, **kwargs) -> None:
    # Staff sessions end a set time after signing in (StaffSessionExpiryMiddleware).
    if request is not None and hasattr(request, "session"):
        session_record_sign_in(request.session)
