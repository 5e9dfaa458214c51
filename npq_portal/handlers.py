"""Receivers for other packages' signals (allauth), connected when the app is ready."""

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import email_confirmed, password_reset
from allauth.mfa.signals import authenticator_added
from celery.signals import task_postrun
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import session_record_sign_in
from .outbox import outbox_enqueue, outbox_mark_done
from .services import user_email_verified
from .tasks import user_send_welcome_task


@receiver(email_confirmed, dispatch_uid="npq_portal.welcome_on_email_confirmed")
def welcome_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    if email_address.primary or email_address.user.email == email_address.email:
        # The outbox hands it on after the commit; a mail server failure (already in the
        # delivery log as failed) does not turn the confirmation page into an error page.
        outbox_enqueue(user_send_welcome_task, email_address.user_id)


@receiver(password_reset, dispatch_uid="npq_portal.email_verified_on_password_reset")
def email_verified_on_password_reset(sender, request, user, **kwargs) -> None:
    """The link that reset the password went to their address: following it proves the
    address is theirs (someone a school named in its Work Group team starts this way)."""
    user_email_verified(user=user)


@receiver(authenticator_added, dispatch_uid="npq_portal.mfa_counts_for_this_session")
def mfa_counts_for_this_session(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP needs a valid code, so the session that did it has proved MFA."""
    if authenticator.type == authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", type="totp")


@receiver(task_postrun, dispatch_uid="npq_portal.outbox_task_done")
def outbox_task_done(sender=None, task_id=None, state=None, **kwargs) -> None:
    """A task handed on by the outbox finished: its entry is done (a retry or failure is not)."""
    if state == "SUCCESS":
        outbox_mark_done(task_id)


@receiver(user_logged_in, dispatch_uid="npq_portal.session_record_sign_in")
def record_sign_in_time(sender, request, user, **kwargs) -> None:
    # Staff sessions end a set time after signing in (StaffSessionMiddleware).
    if request is not None and hasattr(request, "session"):
        session_record_sign_in(request.session)
