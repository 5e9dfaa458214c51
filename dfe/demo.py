"""The DfE data exchange for `make run`: a lead provider's connection to a fake DfE, kept in a
file between requests (settings.DFE["fake_state"], .dfe-fake.pickle), never DfE itself.

`demo_dfe_load` links the running demo NPQ cohort to the fake: most of its places have an
application DfE holds too (one where DfE and the portal disagree on funding), DfE holds two
applications the portal does not, and the portal has applications DfE does not. It pulls DfE's
lists, sends the declarations the registers support, and has DfE pay a started one, so the
reconciliation, declarations and statements pages all have something to show.
Development only, like the rest of the demo data.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications.models import Application
from cohorts.models import Cohort
from funding.models import FundingDecision
from npq_portal.models import User
from participants.models import Enrolment
from schools.models import School

from .connection import (
    FAKE_URL,
    connection_save,
    delivery_partner_set,
    delivery_partners_fetch,
)
from .declarations import declarations_submit_all
from .fake import FakeDfe, fake_load, fake_save
from .models import Connection, Declaration, Outgoing, Sync
from .outgoing import outgoing_send
from .sync import sync_run

logger = logging.getLogger(__name__)

DEMO_CONNECTION = "Demo lead provider (fake DfE)"
# The fake DfE in the state file answers to this token only; it is no secret.
DEMO_TOKEN = "demo-fake-dfe-token-not-a-secret"
RUNNING_COHORT = "Autumn start, Wirral (demo, running)"
# The running cohort's first five participants: each with a TRN, and DfE holding their
# application too (the third: DfE says not eligible for funding, the portal says funded).
LINKED_PLACES = 5
DISAGREEING_PLACE = 2
# The sixth has an accepted application DfE has not got: they have not registered with DfE.
PORTAL_ONLY_PLACE = 5
# Registered with DfE for the running cohort's course and year, unknown to the portal.
DFE_ONLY = [
    ("Isabel Moreno", "2100101", "isabel.moreno@example.org", "123457"),
    ("Kwame Mensah", "2100102", "kwame.mensah@example.org", "123460"),
]


def _trn(index: int) -> str:
    return f"20000{index + 1:02d}"


def _schools() -> list[School]:
    schools = list(School.objects.filter(urn__in=[123456, 123457, 123458]).order_by("urn"))
    return schools or list(School.objects.order_by("urn")[:3])


def _covered_cohorts(running: Cohort) -> list[Cohort]:
    """The running cohort, and every other demo NPQ cohort with applications sent to it."""
    return list(
        Cohort.objects.exclude(programme__course_identifier="")
        .filter(
            Q(pk=running.pk)
            | Q(pk__in=Application.objects.sent().values("cohort").order_by().distinct())
        )
        .select_related("programme", "delivery_partner")
        .order_by("academic_year", "pk")
    )


def _funded(application: Application) -> FundingDecision:
    return FundingDecision.objects.create(
        subject=f"applications.application:{application.pk}",
        rules="demo",
        facts={},
        status="funded",
        funded=True,
        reason="Funded: a demo application.",
    )


def _accepted_application(enrolment: Enrolment, *, index: int, school: School | None):
    """An accepted application for a demo place, funded, as if sent before the cohort began."""
    sent_at = timezone.make_aware(
        datetime.datetime(enrolment.cohort.academic_year, 6, 2 + index, 10, 0)
    )
    application = Application.objects.create(
        applicant=enrolment.participant,
        cohort=enrolment.cohort,
        status=Application.Status.ACCEPTED,
        school=school,
        trn=_trn(index),
        headteacher_name="Helen Whitfield",
        approver_email="head@demo.example",
        submitted_at=sent_at,
        school_decided_by="Helen Whitfield",
        school_decided_by_email="head@demo.example",
        school_decided_at=sent_at + datetime.timedelta(days=3),
    )
    application.funding_decision = _funded(application)
    application.save(update_fields=["funding_decision"])
    Enrolment.objects.filter(pk=enrolment.pk).update(application=application)
    return application


def _statements(fake: FakeDfe, year: int, today: datetime.date) -> None:
    """Last month's statement (DfE pays a declaration on it) and next month's."""
    last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    following = (today.replace(day=28) + datetime.timedelta(days=7)).replace(day=1)
    for month in (last, following):
        fake.add_statement(
            cohort=str(year),
            month=f"{month:%B}",
            year=f"{month:%Y}",
            cut_off_date=f"{month.replace(day=25) - datetime.timedelta(days=31):%Y-%m-%d}",
            payment_date=f"{month.replace(day=25):%Y-%m-%d}",
        )


@transaction.atomic
def _portal_and_fake(running: Cohort, state_file: str) -> Connection:
    """The portal's applications for the running cohort's places, the connection, and a new
    fake DfE saved in the state file (replacing any left from an earlier demo database)."""
    cohorts = _covered_cohorts(running)
    course = running.programme.course_identifier
    enrolments = list(
        Enrolment.objects.filter(cohort=running, application__isnull=True)
        .select_related("participant", "cohort")
        .order_by("pk")
    )
    schools = _schools()
    fake = FakeDfe(token=DEMO_TOKEN, now=timezone.now())
    hub = running.delivery_partner.name if running.delivery_partner_id else "Demo hub"
    fake.add_delivery_partner(
        name=hub, cohorts=tuple(sorted({str(cohort.academic_year) for cohort in cohorts}))
    )
    for index, enrolment in enumerate(enrolments[: PORTAL_ONLY_PLACE + 1]):
        school = schools[index % len(schools)] if schools else None
        application = _accepted_application(enrolment, index=index, school=school)
        if index >= LINKED_PLACES:
            continue  # the portal-only place: DfE has no application for it
        disagreeing = index == DISAGREEING_PLACE
        fake.add_application(
            course_identifier=course,
            cohort=str(running.academic_year),
            status="accepted",
            eligible_for_funding=not disagreeing,
            funded_place=not disagreeing,
            full_name=enrolment.participant.get_full_name(),
            teacher_reference_number=application.trn,
            email=enrolment.participant.email,
            school_urn=str(school.urn) if school else "100000",
        )
    for full_name, trn, email, urn in DFE_ONLY:
        fake.add_application(
            course_identifier=course,
            cohort=str(running.academic_year),
            status="pending",
            full_name=full_name,
            teacher_reference_number=trn,
            email=email,
            school_urn=urn,
        )
    _statements(fake, running.academic_year, timezone.localdate())
    connection = connection_save(
        connection=Connection(
            name=DEMO_CONNECTION,
            base_url=FAKE_URL,
            enabled=True,
            cohort_years=sorted({cohort.academic_year for cohort in cohorts}),
        ),
        token=DEMO_TOKEN,
        programmes={cohort.programme for cohort in cohorts},
    )
    fake_save(fake, state_file)
    return connection


def _send_waiting(connection: Connection) -> None:
    """Send the declarations queued to the fake now: the outbox sends them once the queuing
    transaction commits, which a caller's transaction (a test's) may put off."""
    waiting = Outgoing.objects.filter(
        connection=connection, kind=Outgoing.Kind.DECLARATION, state=Outgoing.State.WAITING
    )
    for outgoing_id in waiting.order_by("pk").values_list("pk", flat=True):
        outgoing_send(outgoing_id=outgoing_id)


def _dfe_pays_one(connection: Connection, state_file: str) -> bool:
    """At the fake, DfE puts one eligible started declaration on its cohort's first statement
    (last month's), pays it and marks that statement paid. False when there was none to pay."""
    fake = fake_load(state_file)
    declaration = (
        Declaration.objects.filter(
            connection=connection, state=Declaration.State.ELIGIBLE, declaration_type="started"
        )
        .exclude(dfe_id=None)
        .order_by("enrolment__participant__last_name", "pk")
        .first()
    )
    if declaration is None or str(declaration.dfe_id) not in fake.declarations:
        return False
    record = fake.declarations[str(declaration.dfe_id)]
    application = fake.applications.get(record["application_id"], {})
    cohort = application.get("cohort")
    statement_id = next(
        (
            statement["id"]
            for statement in sorted(fake.statements.values(), key=lambda s: s["payment_date"])
            if statement["cohort"] == cohort
        ),
        None,
    )
    if statement_id is None:
        return False
    fake.set_declaration_state(record["id"], "payable", statement_id=statement_id)
    fake.set_declaration_state(record["id"], "paid")
    fake.statements[statement_id]["paid"] = True
    fake.statements[statement_id]["updated_at"] = fake.now
    fake_save(fake, state_file)
    return True


def demo_dfe_load() -> Connection | None:
    """The demo's connection to a fake DfE, its reconciliation pulled, the declarations the
    evidence supports sent and a started one paid. Does nothing if the demo connection exists; None when there is no file
    for the fake (settings.DFE["fake_state"]) or no running demo cohort."""
    state_file = settings.DFE["fake_state"]
    if not state_file or Connection.objects.filter(name=DEMO_CONNECTION).exists():
        return None
    running = (
        Cohort.objects.filter(name=RUNNING_COHORT)
        .exclude(programme__course_identifier="")
        .select_related("programme", "delivery_partner")
        .first()
    )
    if running is None:
        return None
    Path(state_file).unlink(missing_ok=True)
    connection = _portal_and_fake(running, state_file)
    partners = delivery_partners_fetch(connection=connection)
    for cohort_year in connection.cohort_years:
        partner = next((p for p in partners if cohort_year in p["cohorts"]), None)
        if partner is not None:
            delivery_partner_set(
                connection=connection,
                cohort_year=cohort_year,
                partner_id=partner["id"],
                partners=partners,
            )
    sync_run(connection=connection, full=True)
    admin = User.objects.filter(email="admin@demo.example").first()
    declarations_submit_all(connection=connection, by=admin)
    _send_waiting(connection)
    if _dfe_pays_one(connection, state_file):
        sync_run(connection=connection, kinds=[Sync.Kind.DECLARATIONS, Sync.Kind.STATEMENTS])
    logger.info("Loaded the DfE demo: connection %s to the fake DfE", connection.pk)
    return connection
