from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .roles import user_is_hub_staff

# Pages a staff member without MFA may still use: signing in and out, setting MFA up, static
# files and the health check.
MFA_SETUP_PATH_PREFIXES = ("/accounts/", "/static/", "/healthz")
MFA_REQUIRED_MESSAGE = (
    "Hub staff must protect their account with an authenticator app before using the portal. "
    "Set it up below; it takes a minute."
)


class StaffMfaRequiredMiddleware:
    """Hub staff must set up an authenticator app before they use any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_mfa(request):
            messages.info(request, MFA_REQUIRED_MESSAGE, fail_silently=True)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _must_set_up_mfa(request) -> bool:
        user = request.user
        if request.path.startswith(MFA_SETUP_PATH_PREFIXES) or not user.is_authenticated:
            return False
        if not (user_is_hub_staff(user) or user.is_superuser):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
