from allauth.account.adapter import DefaultAccountAdapter

from .emails import email_send_message


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account email goes through the portal's delivery log like every other email."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        kind = "account/" + template_prefix.rsplit("/", 1)[-1]
        email_send_message(message=message, kind=kind)
