"""Assessment window reminders: when a window opens, and before it closes.

Like participants/reminders.py: a rule is done once per window (ReminderDone), every email
goes through email_send_once keyed on the rule, so a rerun or a second worker sends nothing
twice. Both are urgent (missing the window costs a participant a term): no cap, no opt-out.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from npq_portal.emails import EmailNotSent, email_about_key, email_send_once
from participants.models import Enrolment, ReminderDone
from participants.selectors import enrolments_participation

from .models import AssessmentWindow, EligibilityException, Submission
from .selectors import eligibility_decide

logger = logging.getLogger(__name__)

ASSESSMENT_RULES = ("assessment-opening", "assessment-closing")


def assessment_windows_due(rule: str, now):
    """Windows whose `rule` reminder is due now and not yet done."""
    done = ReminderDone.objects.filter(
        rule=rule,
        about=Concat(
            Value("assessment.assessmentwindow:"),
            Cast(OuterRef("pk"), output_field=CharField()),
        ),
    )
    windows = AssessmentWindow.objects.exclude(Exists(done)).filter(closes_at__gt=now)
    if rule == "assessment-opening":
        windows = windows.filter(opens_at__lte=now)
    else:
        windows = windows.filter(
            closes_at__lte=now + settings.REMINDERS["assessment_closing_within"]
        )
    return windows.select_related("programme", "cohort").order_by("pk")


def _window_places(window):
    """Active places in the window's cohort, or in every cohort of its programme."""
    places = Enrolment.objects.filter(status=Enrolment.Status.ACTIVE)
    if window.cohort_id:
        places = places.filter(cohort_id=window.cohort_id)
    else:
        places = places.filter(cohort__programme_id=window.programme_id)
    return places.select_related("participant")


def assessment_reminders_run(*, now=None) -> int:
    """Tell eligible participants a window has opened, and those who have not submitted that
    it closes soon; returns how many emails went. Safe to run again."""
    now = now or timezone.now()
    sent = 0
    for rule in ASSESSMENT_RULES:
        for window in assessment_windows_due(rule, now):
            places = list(_window_places(window))
            figures = enrolments_participation(enrolments=places)
            exceptions = {
                e.enrolment_id: e for e in EligibilityException.objects.filter(window=window)
            }
            submitted = set(
                Submission.objects.filter(
                    window=window, status=Submission.Status.SUBMITTED
                ).values_list("enrolment_id", flat=True)
            )
            count = 0
            for place in places:
                eligible = eligibility_decide(
                    enrolment=place,
                    participation=figures.get(place.pk),
                    exception=exceptions.get(place.pk),
                ).allowed
                if not eligible or (rule == "assessment-closing" and place.pk in submitted):
                    continue
                try:
                    email_send_once(
                        to=place.participant.email,
                        kind=rule.replace("-", "_"),
                        about=window,
                        occasion=rule,
                        context={
                            "window": window,
                            "person": place.participant,
                            "assessment_url": settings.SITE_URL
                            + reverse("assessment:assessment-detail", args=[window.pk]),
                        },
                    )
                except EmailNotSent:
                    continue  # logged as failed, for staff to see
                count += 1
            with transaction.atomic():
                ReminderDone.objects.get_or_create(
                    rule=rule, about=email_about_key(window), defaults={"sent": count}
                )
            sent += count
    return sent
