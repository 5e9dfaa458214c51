"""Reads that span models or return figures: what the staff start page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.utils import timezone

from .models import EmailDelivery, User
from .roles import GROUP_ROLES, ROLE_SPECS


@dataclass(frozen=True)
class RoleCount:
    label: str
    value: str
    count: int


@dataclass(frozen=True)
class HubFigures:
    people: int
    people_unverified: int
    people_by_role: list[RoleCount]
    emails_sent_7_days: int
    emails_failed_7_days: int
    emails_pending: int


def hub_overview_figures() -> HubFigures:
    """Counts for the hub overview: people by role and the last week's email."""
    week_ago = timezone.now() - timedelta(days=7)
    people_total = User.objects.count()
    people_unverified = User.objects.exclude(emailaddress__verified=True).count()
    by_group = dict(Group.objects.annotate(members=Count("user")).values_list("name", "members"))
    emails = EmailDelivery.objects.aggregate(
        sent=Count("pk", filter=Q(status=EmailDelivery.Status.SENT, sent_at__gte=week_ago)),
        failed=Count("pk", filter=Q(status=EmailDelivery.Status.FAILED, updated_at__gte=week_ago)),
        pending=Count("pk", filter=Q(status=EmailDelivery.Status.PENDING)),
    )
    return HubFigures(
        people=people_total,
        people_unverified=people_unverified,
        people_by_role=[
            RoleCount(role.label, role.value, by_group.get(ROLE_SPECS[role].group_name, 0))
            for role in GROUP_ROLES
        ],
        emails_sent_7_days=emails["sent"],
        emails_failed_7_days=emails["failed"],
        emails_pending=emails["pending"],
    )
