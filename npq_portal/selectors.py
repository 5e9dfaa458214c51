"""Reads that span models or return figures: what the staff start page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import EmailDelivery, OutboxTask, User
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
    # Emails (and imports, exports) the outbox still holds for the background worker: past the
    # first sweep they are held up (Redis or the worker down); given up after every try.
    background_held_up: int
    background_held_up_since: datetime | None
    background_given_up_7_days: int


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
    held_up_before = timezone.now() - settings.OUTBOX["first_sweep_after"]
    held_up = Q(status=OutboxTask.Status.PENDING, created_at__lt=held_up_before)
    background = OutboxTask.objects.aggregate(
        held_up=Count("pk", filter=held_up),
        since=Min("created_at", filter=held_up),
        given_up=Count(
            "pk", filter=Q(status=OutboxTask.Status.ABANDONED, created_at__gte=week_ago)
        ),
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
        background_held_up=background["held_up"],
        background_held_up_since=background["since"],
        background_given_up_7_days=background["given_up"],
    )
