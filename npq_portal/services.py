"""Changes of state owned by the project package: people's roles and account email."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from .access import user_access_forget
from .emails import email_send_once
from .models import EmailDelivery, RoleChange, User
from .roles import GROUP_ROLES, ROLE_SPECS, Role, user_roles


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role], by: User | None, reason: str = "") -> None:
    """Give someone exactly these roles, recording each one given or taken away.

    Raises ValidationError when an administrator would remove their own administrator role
    (so that a hub can never lock itself out) or a role cannot be given as a group.
    """
    wanted = set(roles)
    unknown = wanted - set(GROUP_ROLES)
    if unknown:
        names = ", ".join(sorted(str(role) for role in unknown))
        raise ValidationError(f"These roles cannot be given here: {names}.")
    given = user
    user_access_forget(given)  # the caller's copy must not keep stale roles
    user = User.objects.select_for_update().get(pk=user.pk)
    current = {role for role in user_roles(user) if role in GROUP_ROLES}
    if by is not None and by.pk == user.pk and Role.HUB_ADMINISTRATOR in current - wanted:
        raise ValidationError(
            "You cannot remove your own hub administrator role; ask another administrator."
        )
    for role in wanted - current:
        user.groups.add(Group.objects.get(name=ROLE_SPECS[role].group_name))
        RoleChange.objects.create(user=user, role=role, granted=True, by=by, reason=reason)
    for role in current - wanted:
        user.groups.remove(Group.objects.get(name=ROLE_SPECS[role].group_name))
        RoleChange.objects.create(user=user, role=role, granted=False, by=by, reason=reason)
    # Hub administrators and programme leads may use the Django admin as well as the portal.
    admin_site_roles = {Role.HUB_ADMINISTRATOR, Role.PROGRAMME_LEAD}
    user.is_staff = user.is_superuser or bool(wanted & admin_site_roles)
    user.save(update_fields=["is_staff"])
    user_access_forget(given)
    given.is_staff = user.is_staff


def user_send_welcome(*, user: User) -> EmailDelivery:
    """Welcome someone whose email address is now verified, once, with what to do next."""
    return email_send_once(
        to=user.email,
        kind="welcome",
        about=user,
        occasion="email-verified",
        context={"user": user, "home_url": settings.SITE_URL + reverse("home")},
    )


@transaction.atomic
def user_for_person(*, email: str, first_name: str, last_name: str) -> tuple[User, bool]:
    """The account with this email address, or a new one for someone named by another (a
    school naming its Work Group team), with no password until they set one from the link
    they are sent. Returns the account and whether it was made now."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user, True


@transaction.atomic
def user_email_verified(*, user: User) -> None:
    """Record the account's own address as verified (and its primary one)."""
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


def password_set_url(user: User) -> str:
    """A link with which someone whose account was made for them sets their password (the
    password reset page, which also confirms their address)."""
    key = default_token_generator.make_token(user)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": key},
    )
    return settings.SITE_URL + path
