import logging
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.http import url_has_allowed_host_and_scheme

from .emails import EmailNotSent, email_send_message

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account email goes through the portal's delivery log like every other email."""

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The confirmation link carries where the person was going when they signed up (the
        application they started), so confirming in another browser, on a phone's mail app
        say, still leads back there once they sign in."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        going = (request.POST.get("next") or request.GET.get("next")) if request else None
        if going and url_has_allowed_host_and_scheme(going, allowed_hosts=None):
            url += "?" + urlencode({"next": going})
        return url

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        kind = "account/" + template_prefix.rsplit("/", 1)[-1]
        try:
            email_send_message(message=message, kind=kind)
        except EmailNotSent:
            # The delivery log shows the failure to staff; the person can ask for the link
            # again (signing in re-sends a verification link), so the page must not fail.
            logger.warning("Account email %s could not be sent", kind)
