"""Assessment window reminders: when a window opens, and before it closes.

Like the rules in reminders/services.py: a rule is done once per window (ReminderDone), each email
goes through email_send_once keyed on the rule, so a rerun or a second worker sends nothing
twice. Both are urgent (missing the window costs a participant a term): no cap, no opt-out.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assessment.models import AssessmentWindow, Submission
from assessment.selectors import window_participant_rows
from npq_portal.emails import EmailNotSent, email_about_key, email_send_once
from participants.models import Enrolment

from .services import not_yet_done, reminder_record_done

ASSESSMENT_RULES = ("assessment-opening", "assessment-closing")


def assessment_windows_due(rule: str, now):
    """Windows whose `rule` reminder is due now and not yet done."""
    windows = not_yet_done(AssessmentWindow.objects.all(), rule).filter(closes_at__gt=now)
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
            # The staff page's rows: participation, eligibility and submission, in a fixed
            # number of queries however many places.
            rows = window_participant_rows(window=window, enrolments=_window_places(window))
            count = 0
            for row in rows:
                submitted = (
                    row.submission is not None
                    and row.submission.status == Submission.Status.SUBMITTED
                )
                if not row.eligibility.allowed or (rule == "assessment-closing" and submitted):
                    continue
                person = row.enrolment.participant
                try:
                    email_send_once(
                        to=person.email,
                        kind=rule.replace("-", "_"),
                        about=window,
                        occasion=rule,
                        context={
                            "window": window,
                            "person": person,
                            "assessment_url": settings.SITE_URL
                            + reverse("assessment:assessment-detail", args=[window.pk]),
                        },
                    )
                except EmailNotSent:
                    continue  # logged as failed, for staff to see
                count += 1
            reminder_record_done(rule=rule, about=email_about_key(window), sent=count)
            sent += count
    return sent
