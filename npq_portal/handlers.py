"""Receivers for other packages' signals (allauth), connected when the app is ready."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from .tasks import user_send_welcome_task


@receiver(email_confirmed, dispatch_uid="npq_portal.welcome_on_email_confirmed")
def welcome_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    if email_address.primary or email_address.user.email == email_address.email:
        user_send_welcome_task.delay_on_commit(email_address.user_id)
