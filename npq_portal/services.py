"""Changes of state owned by the project package: people's roles and account email."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

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
    given.__dict__.pop("_npq_roles", None)  # the caller's copy must not keep stale roles
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
    given.__dict__.pop("_npq_roles", None)
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
