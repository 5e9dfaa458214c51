import logging

from allauth.account.adapter import DefaultAccountAdapter

from .emails import EmailNotSent, email_send_message

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account email goes through the portal's delivery log like every other email."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        kind = "account/" + template_prefix.rsplit("/", 1)[-1]
        try:
            email_send_message(message=message, kind=kind)
        except EmailNotSent:
            # The delivery log shows the failure to staff; the person can ask for the link
            # again (signing in re-sends a verification link), so the page must not fail.
            logger.warning("Account email %s could not be sent", kind)
