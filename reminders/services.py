"""Time-based reminders: each a named rule, its timing from settings.REMINDERS.

A run finds what is due by state (a rule not yet done for an object whose time has come),
sends through email_send_once (so a rerun, a retry or a second worker sends nothing twice),
then records the rule as done for that object. Work goes in batches through iterators, so
10,000 due reminders never sit in memory at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import application_send_email
from cohorts.models import ModuleWindow, Session
from npq_portal.emails import EmailNotSent, email_about_key, email_send_once
from npq_portal.models import EmailDelivery
from participants.models import Enrolment, ModulePhaseDone

from .links import reminder_stop_url
from .models import ReminderDone, ReminderOptOut

logger = logging.getLogger(__name__)


def not_yet_done(queryset, rule: str):
    """The rows of `queryset` that `rule` has not been done for (keyed as email_about_key)."""
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.functions import Cast, Concat

    done = ReminderDone.objects.filter(
        rule=rule,
        about=Concat(
            Value(f"{queryset.model._meta.label_lower}:"),
            Cast(OuterRef("pk"), output_field=CharField()),
        ),
    )
    return queryset.exclude(Exists(done))


def reminder_record_done(*, rule: str, about: str, sent: int) -> None:
    """Record `rule` done for `about`, so a rerun skips it (a second worker's record wins)."""
    with transaction.atomic():
        ReminderDone.objects.get_or_create(rule=rule, about=about, defaults={"sent": sent})


# Optional reminders: capped per person per day, and anyone can turn them off.
OPTIONAL_KINDS = ("session_reminder", "module_opening", "module_due_soon", "module_overdue")


@dataclass(frozen=True)
class SessionReminder:
    """Remind the people booked on a session `before` it starts."""

    name: str
    before: timedelta
    # The next, shorter reminder's lead: once inside it, that one is sent instead.
    until: timedelta = timedelta(0)

    def due(self, now):
        """Published sessions starting within `before` of now (but not yet within the next
        reminder's lead) that this rule has not done."""
        return self.pending(now, now)

    def pending(self, start, end):
        """Sessions whose reminder falls due between `start` and `end` and is not yet done."""
        sessions = Session.objects.filter(
            status=Session.Status.SCHEDULED,
            starts_at__gt=start + self.until,
            starts_at__lte=end + self.before,
        )
        return (
            not_yet_done(sessions, self.name)
            .select_related("cohort__programme", "facilitator")
            .order_by("starts_at", "pk")
        )


def reminder_rules() -> list[SessionReminder]:
    """The rules in force, their timing read from settings when asked."""
    leads = sorted(settings.REMINDERS["session_before"].items(), key=lambda item: -item[1])
    return [
        SessionReminder(
            f"session-{label}",
            before,
            until=leads[index + 1][1] if index + 1 < len(leads) else timedelta(0),
        )
        for index, (label, before) in enumerate(leads)
    ]


def people_booked(session) -> list:
    """Everyone a session concerns: those with a place in its cohort, and its facilitator."""
    people = [
        enrolment.participant
        for enrolment in Enrolment.objects.filter(
            cohort_id=session.cohort_id, status=Enrolment.Status.ACTIVE
        ).select_related("participant")
    ]
    if session.facilitator and session.facilitator not in people:
        people.append(session.facilitator)
    return people


@dataclass
class OptionalLimits:
    """For a group of people: who turned optional reminders off, and how many each has had
    today. Read in two queries for the whole group; `sent` counts on as reminders go."""

    opted_out: set[str]
    sent_today: Counter

    def allows(self, email: str) -> bool:
        return (
            email not in self.opted_out and self.sent_today[email] < settings.REMINDERS["daily_cap"]
        )

    def sent(self, email: str) -> None:
        self.sent_today[email] += 1


def optional_limits(emails) -> OptionalLimits:
    emails = {email.lower() for email in emails}
    sent_today = (
        EmailDelivery.objects.filter(
            recipient__in=emails,
            kind__in=OPTIONAL_KINDS,
            created_at__gte=_morning(timezone.localdate()),
        )
        .values_list("recipient")
        .annotate(count=Count("pk"))
    )
    return OptionalLimits(
        opted_out=set(
            ReminderOptOut.objects.filter(email__in=emails).values_list("email", flat=True)
        ),
        sent_today=Counter(dict(sent_today)),
    )


def send_optional(
    *,
    to: str,
    kind: str,
    about,
    occasion: str,
    context: dict,
    limits: OptionalLimits | None = None,
) -> bool:
    """Send an optional reminder unless the person turned them off or hit today's cap.
    A run sending to many people reads their `limits` once (optional_limits)."""
    to = to.lower()
    limits = limits or optional_limits([to])
    if not limits.allows(to):
        if to not in limits.opted_out:
            logger.info("Reminder %s held back by the daily cap", kind)
        return False
    try:
        email_send_once(
            to=to,
            kind=kind,
            about=about,
            occasion=occasion,
            context={**context, "stop_url": reminder_stop_url(to)},
        )
    except EmailNotSent:
        return False  # logged as failed for staff; the others still go
    limits.sent(to)
    return True


def reminders_run(*, now=None, batch: int = 500) -> int:
    """Send every reminder now due; returns how many emails went. Safe to run again."""
    now = now or timezone.now()
    sent = 0
    for rule in reminder_rules():
        for session in rule.due(now).iterator(chunk_size=batch):
            context = {
                "session": session,
                "cohort": session.cohort,
                "calendar_url": settings.SITE_URL + reverse("cohorts:my-calendar"),
            }
            count = 0
            people = people_booked(session)
            limits = optional_limits(person.email for person in people)
            for person in people:
                count += send_optional(
                    to=person.email,
                    kind="session_reminder",
                    about=session,
                    occasion=rule.name,
                    context={**context, "person": person},
                    limits=limits,
                )
            reminder_record_done(rule=rule.name, about=email_about_key(session), sent=count)
            sent += count
    sent += module_window_reminders_run(today=timezone.localdate(now), batch=batch)
    return sent + offer_expiring_reminders_run(now=now, batch=batch)


# Module windows: "opening" on the day a module opens; "due soon" in the days before its
# application is due (settings.REMINDERS["module_due_within_days"]); "overdue" the day after,
# to those who have not ticked both phases. Due soon and overdue skip people already done.
MODULE_RULES = ("module-opening", "module-due-soon", "module-overdue")
# An overdue reminder goes only this many days after the due date: a window set up late, or
# a run missed for a week, does not chase people about long-past modules.
MODULE_OVERDUE_GRACE_DAYS = 7


def _module_windows_due(rule: str, today, until=None):
    """Windows whose `rule` reminder falls due by `until` (default today) and is not done."""
    until = until or today
    windows = not_yet_done(ModuleWindow.objects.all(), rule).filter(
        cohort__status__in=["open", "full", "closed", "running"],
    )
    if rule == "module-opening":
        windows = windows.filter(opens_on__lte=until, application_due_on__gte=today)
    elif rule == "module-overdue":
        windows = windows.filter(
            application_due_on__lt=until,
            application_due_on__gte=today - timedelta(days=MODULE_OVERDUE_GRACE_DAYS),
        )
    else:
        windows = windows.filter(
            application_due_on__gte=today,
            application_due_on__lte=until + _module_due_within(),
        )
    return windows.select_related("module__course", "cohort__programme").order_by("pk")


def _finished_module(window) -> set[int]:
    """The people who have ticked both phases of a window's module."""
    from django.db.models import Count

    return set(
        ModulePhaseDone.objects.filter(module_id=window.module_id)
        .values("enrolment__participant_id")
        .annotate(phases=Count("phase", distinct=True))
        .filter(phases=2)
        .values_list("enrolment__participant_id", flat=True)
    )


def _module_due_within() -> timedelta:
    return timedelta(days=settings.REMINDERS["module_due_within_days"])


def module_window_reminders_run(*, today, batch: int = 500) -> int:
    """Tell the people with a place when a module opens and when it is nearly due."""
    sent = 0
    for rule in MODULE_RULES:
        kind = rule.replace("-", "_")
        for window in _module_windows_due(rule, today).iterator(chunk_size=batch):
            count = 0
            places = list(
                Enrolment.objects.filter(
                    cohort_id=window.cohort_id, status=Enrolment.Status.ACTIVE
                ).select_related("participant")
            )
            finished = _finished_module(window) if rule != "module-opening" else set()
            limits = optional_limits(place.participant.email for place in places)
            for enrolment in places:
                if enrolment.participant_id in finished:
                    continue
                count += send_optional(
                    to=enrolment.participant.email,
                    kind=kind,
                    about=window,
                    occasion=rule,
                    context={
                        "window": window,
                        "person": enrolment.participant,
                        "progress_url": settings.SITE_URL
                        + reverse("participants:my-progress", args=[enrolment.pk]),
                    },
                    limits=limits,
                )
            reminder_record_done(rule=rule, about=email_about_key(window), sent=count)
            sent += count
    return sent


def offers_expiring(now, until=None):
    """Waiting-list offers whose reminder falls due by `until` (default now): those running
    out within settings.REMINDERS["offer_expiring_within"] of it, not reminded of yet."""
    from django.db.models import Exists, OuterRef

    reminded = ReminderDone.objects.filter(rule="offer-expiring", about=OuterRef("offer_key"))
    return (
        Application.objects.filter(
            status=Application.Status.WAITLISTED,
            offer_expires_at__gt=now,
            offer_expires_at__lte=(until or now) + settings.REMINDERS["offer_expiring_within"],
        )
        .annotate(offer_key=_offer_key())
        .exclude(Exists(reminded))
        .select_related("cohort__programme", "applicant")
        .order_by("offer_expires_at", "pk")
    )


def _offer_key():
    """Names one offer (an application can hold only one at a time, each with its expiry)."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Concat(
        Value(f"{Application._meta.label_lower}:"),
        Cast("pk", output_field=CharField()),
        Value("@"),
        Cast("offer_expires_at", output_field=CharField()),
        output_field=CharField(),
    )


def offer_expiring_reminders_run(*, now, batch: int = 500) -> int:
    """Tell someone holding an offered place that it is about to go to the next person.

    Urgent, like the offer itself: not capped, and sent even to those who turned optional
    reminders off, since missing it loses them the place."""
    sent = 0
    for application in offers_expiring(now).iterator(chunk_size=batch):
        try:
            application_send_email(
                application=application,
                kind="waitlist_offer_expiring",
                occasion=f"offer-expiring-{application.offer_expires_at:%Y%m%d%H%M}",
            )
        except EmailNotSent:
            continue  # logged as failed; the next run tries again, as the rule is not done
        reminder_record_done(rule="offer-expiring", about=application.offer_key, sent=1)
        sent += 1
    return sent


def reminders_due_soon(*, days: int = 7, limit: int = 200) -> list[dict]:
    """Who will be emailed what in the next `days` days, for staff: each row a reminder with
    when it goes, what it is about and to how many people. A fixed number of queries."""
    from django.db.models import Count, Q

    now = timezone.now()
    end = now + timedelta(days=days)
    today, last_day = timezone.localdate(now), timezone.localdate(end)
    booked = Count("cohort__enrolments", filter=Q(cohort__enrolments__status="active"))
    upcoming = []
    for rule in reminder_rules():
        for session in rule.pending(now, end).annotate(booked=booked)[:limit]:
            upcoming.append(
                {
                    "when": max(session.starts_at - rule.before, now),
                    "rule": rule.name,
                    "about": session.title,
                    "cohort": session.cohort,
                    "people": session.booked + (1 if session.facilitator_id else 0),
                }
            )
    for rule in MODULE_RULES:
        for window in _module_windows_due(rule, today, until=last_day).annotate(booked=booked)[
            :limit
        ]:
            day = {
                "module-opening": window.opens_on,
                "module-due-soon": window.application_due_on - _module_due_within(),
                "module-overdue": window.application_due_on + timedelta(days=1),
            }[rule]
            upcoming.append(
                {
                    "when": max(_morning(day), now),
                    "rule": rule,
                    "about": window.module.title,
                    "cohort": window.cohort,
                    "people": window.booked,
                }
            )
    for application in offers_expiring(now, until=end)[:limit]:
        reminder_at = application.offer_expires_at - settings.REMINDERS["offer_expiring_within"]
        upcoming.append(
            {
                "when": max(reminder_at, now),
                "rule": "offer-expiring",
                "about": "Offered place from the waiting list",
                "cohort": application.cohort,
                "people": 1,
            }
        )
    for row in upcoming:
        row["label"] = reminder_label(row["rule"])
    return sorted(upcoming, key=lambda row: row["when"])[:limit]


def reminder_label(rule: str) -> str:
    """What a rule's name means, for staff."""
    if rule.startswith("session-"):
        return "Session in " + rule.removeprefix("session-").replace("-", " ")
    return {
        "module-opening": "Module opens",
        "module-due-soon": "Module due soon",
        "module-overdue": "Module overdue",
        "offer-expiring": "Offered place about to lapse",
    }.get(rule, rule)


def _morning(day):
    """The first run of the reminders on `day`, in UK time."""
    return timezone.make_aware(datetime.combine(day, time(0, 0)))


def reminders_opt_out(*, email: str) -> None:
    """Stop optional reminders to this address (asking twice changes nothing)."""
    ReminderOptOut.objects.get_or_create(email=email.strip().lower())
