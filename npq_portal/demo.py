"""Demo accounts for a developer's machine: one per role, with a known password.

Staff accounts come with an authenticator already set up from a published secret, so a
newcomer can sign in as staff with `manage.py demo_totp_code` instead of a phone app. None of
this may run in production (the commands refuse when DEBUG is off).
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.db import transaction

from .models import User
from .roles import Role
from .services import user_set_roles

DEMO_PASSWORD = "npq-demo-2026"
# A fixed base32 secret, published on purpose: demo staff accounts only.
DEMO_TOTP_SECRET = "NPQDEMOSTAFFONLYNPQDEMOSTAFFONLY"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: Role


DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.example", "Amira", "Haddad", Role.HUB_ADMINISTRATOR),
    DemoAccount("lead@demo.example", "Liam", "O'Connor", Role.PROGRAMME_LEAD),
    DemoAccount("facilitator@demo.example", "Femi", "Adeyemi", Role.FACILITATOR),
    DemoAccount("assessor@demo.example", "Ana", "Sousa", Role.ASSESSOR),
    DemoAccount("head@demo.example", "Helen", "Whitfield", Role.SCHOOL_LEADER),
    DemoAccount("teacher@demo.example", "Tom", "Okafor", Role.TEACHER),
)


def demo_data_allowed() -> bool:
    """Only on a developer's machine: DEBUG on and the development secret key in use.

    Production must set SECRET_KEY (check --deploy insists), so a shell that forgot DEBUG
    but points at a live database still refuses.
    """
    from django.conf import settings

    return settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY


@transaction.atomic
def demo_accounts_load() -> list[tuple[DemoAccount, bool]]:
    """Create any missing demo account; returns each account and whether it was new."""
    from .roles import STAFF_ROLES

    results = []
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=account.email,
            defaults={"first_name": account.first_name, "last_name": account.last_name},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        roles = [] if account.role == Role.TEACHER else [account.role]
        user_set_roles(user=user, roles=roles, by=None, reason="Demo data")
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
        if account.role in STAFF_ROLES and not has_totp.exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        results.append((account, created))
    return results


def demo_totp_code(email: str) -> str:
    """The current six-digit code for a demo staff account's authenticator."""
    import time

    from allauth.mfa import app_settings

    authenticator = Authenticator.objects.get(
        user__email=email.lower(), type=Authenticator.Type.TOTP
    )
    secret = decrypt(authenticator.data["secret"])
    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))
