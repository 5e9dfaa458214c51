"""Sample data for previewing every email: unsaved objects, nothing touches the database."""

from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.utils import timezone

from applications.models import Application
from cohorts.models import Cohort, DeliveryPartner, ModuleWindow, Session
from funding.models import FundingDecision
from npq_portal.models import User
from participants.models import Enrolment, EnrolmentEvent
from programmes.models import Course, Module, Programme
from schools.models import School


def email_kinds() -> list[str]:
    """Every email the portal sends, from its templates (templates/emails/<kind>_subject.txt)."""
    folder = Path(settings.BASE_DIR) / "templates" / "emails"
    return sorted(path.name.removesuffix("_subject.txt") for path in folder.glob("*_subject.txt"))


def email_sample_context(kind: str) -> dict:
    """A context that renders the `kind` email as people would see it."""
    site = settings.SITE_URL
    start = timezone.now().replace(hour=16, minute=0, second=0, microsecond=0)
    person = User(first_name="Priya", last_name="Shah", email="priya.shah@oakfield.example")
    programme = Programme(
        name="NPQ in Leading Primary Mathematics", short_name="NPQLPM", slug="npqlpm"
    )
    cohort = Cohort(
        programme=programme,
        name="Autumn start, Chester",
        academic_year=start.year,
        starts_on=start.date(),
        ends_on=start.date() + datetime.timedelta(days=280),
        application_deadline=start.date() - datetime.timedelta(days=14),
        venue="Hoole Conference Centre, Chester",
        delivery_partner=DeliveryPartner(name="Generate Teaching School Hub"),
        capacity=24,
    )
    session = Session(
        cohort=cohort,
        title="Culture and Learning clinic",
        kind="clinic",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=90),
        venue="Hoole Conference Centre, Chester",
    )
    course = Course(programme=programme, title="Culture and Learning", number=1)
    window = ModuleWindow(
        cohort=cohort,
        module=Module(course=course, title="Simple model of memory"),
        opens_on=start.date(),
        study_due_on=start.date() + datetime.timedelta(days=7),
        application_due_on=start.date() + datetime.timedelta(days=14),
    )
    application = Application(
        applicant=person,
        cohort=cohort,
        school=School(name="Oakfield Primary School", urn=123456),
        headteacher_name="Helen Whitfield",
        approver_email="head@oakfield.example",
        school_decided_by="Helen Whitfield",
        school_comment="Delighted to support this.",
        offer_expires_at=start + datetime.timedelta(days=5),
        funding_decision=FundingDecision(
            reason="Your place is funded by DfE scholarship funding.", funded=True
        ),
        pk=42,
    )
    enrolment = Enrolment(participant=person, cohort=cohort, status="deferred")
    subscriber = SimpleNamespace(
        first_name="Priya", email=person.email, programmes=SimpleNamespace(all=lambda: [programme])
    )
    links = {
        "confirm_url": f"{site}/mailing-list/confirm/sample/",
        "manage_url": f"{site}/mailing-list/manage/sample/",
        "unsubscribe_url": f"{site}/mailing-list/unsubscribe/sample/",
        "stop_url": f"{site}/reminders/stop/sample/",
    }
    return {
        **links,
        "user": person,
        "person": person,
        "applicant": person,
        "subscriber": subscriber,
        "programme": programme,
        "cohort": cohort,
        "session": session,
        # Assessment windows belong to an app to the right: a stand-in with the same fields.
        "window": window
        if not kind.startswith("assessment_")
        else SimpleNamespace(
            title="Summer 2028 assessment",
            programme=SimpleNamespace(name=programme.name, assessment_word_limit=1500),
            opens_at=start,
            closes_at=start + datetime.timedelta(days=8),
        ),
        "application": application,
        "enrolment": enrolment,
        "enrolment_status": "deferred",
        "event": EnrolmentEvent(reason="Back next term after parental leave."),
        "last_event": SimpleNamespace(reason="The cohort is full and the waiting list closed."),
        "status": {
            "application_school_decision": "school_approved",
            "application_decision": "accepted",
        }.get(kind, ""),
        "reason": "The facilitator is at a conference.",
        "home_url": f"{site}/my-npqs/",
        "apply_url": f"{site}/programmes/npq-leading-primary-mathematics/",
        "approval_url": f"{site}/approve/sample/",
        "application_url": f"{site}/applications/42/",
        "calendar_url": f"{site}/calendar/",
        "progress_url": f"{site}/my-progress/7/",
        "assessment_url": f"{site}/my-assessment/3/",
        "url": f"{site}/applications/42/",
    }
