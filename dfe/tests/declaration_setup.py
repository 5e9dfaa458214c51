"""A hub whose places are linked to DfE, with evidence for declarations, and a fake DfE."""

import datetime

import httpx
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.tests.factories import CohortFactory
from dfe import fake as fake_module
from dfe.connection import connection_save
from dfe.fake import FakeDfe
from dfe.models import Connection, DeliveryPartnerLink, DfeApplication
from npq_portal.tests.factories import UserFactory
from participants.tests.factories import EnrolmentFactory
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory
from reports.tests.helpers import session, take_register

UTC = datetime.UTC
# The first session, attended: started is supported from then (09:00 BST is 08:00 UTC).
FIRST_SESSION = datetime.datetime(2025, 10, 14, 16, 0, tzinfo=UTC)
STARTED_DATE = "2025-10-14T08:00:00Z"
SENIOR_LEADERSHIP = "npq-senior-leadership"
EHCO = "npq-early-headship-coaching-offer"


def programme_for(course_identifier: str, **fields) -> Programme:
    programme = Programme.objects.filter(course_identifier=course_identifier).first()
    if programme is None:
        programme = ProgrammeFactory(
            course_identifier=course_identifier,
            family=Programme.Family.LEADERSHIP,
            length_months=18,
            **fields,
        )
    return programme


def dfe_connection(*programmes: Programme, cohort_years=(2025,)) -> Connection:
    connection = connection_save(
        connection=Connection(
            name="Ambition Institute",
            base_url="https://sandbox.register-npq.education.gov.uk",
            enabled=True,
            cohort_years=list(cohort_years),
        ),
        token=fake_module.TOKEN,
    )
    connection.programmes.set(programmes)
    return connection


def dfe_cohort(programme: Programme, **fields):
    defaults = {
        "academic_year": 2025,
        "starts_on": datetime.date(2025, 10, 1),
        "ends_on": datetime.date(2027, 3, 31),
    }
    cohort = CohortFactory(programme=programme, **{**defaults, **fields})
    # Sessions to come, with no register yet: one attended session is 20% participation,
    # short of retained-1's 30%, so only started is supported by it.
    for day in (12, 19, 26):
        session(cohort, datetime.datetime(2027, 1, day, 16, 0, tzinfo=UTC))
    session(cohort, datetime.datetime(2027, 2, 9, 16, 0, tzinfo=UTC))
    return cohort


def partner_link(connection: Connection, fake: FakeDfe, cohort_year: int = 2025):
    partner_id = fake.add_delivery_partner(name="North Hub")
    return DeliveryPartnerLink.objects.create(
        connection=connection,
        cohort_year=cohort_year,
        delivery_partner_id=partner_id,
        name="North Hub",
    )


def linked_place(
    connection: Connection,
    fake: FakeDfe,
    cohort,
    *,
    first_name: str = "Ada",
    teacher_catchment: bool = True,
    **enrolment_fields,
):
    """A place whose application DfE holds, accepted, linked to the portal's."""
    person = UserFactory(first_name=first_name, last_name="Tester")
    application = ApplicationFactory(
        applicant=person, cohort=cohort, status=Application.Status.ACCEPTED
    )
    course = cohort.programme.course_identifier
    dfe_id = fake.add_application(
        course_identifier=course,
        cohort=str(cohort.academic_year),
        status="accepted",
        funded_place=True,
        teacher_catchment=teacher_catchment,
        full_name=f"{first_name} Tester",
        teacher_reference_number=None,
        email=person.email,
    )
    record = fake.applications[dfe_id]
    DfeApplication.objects.create(
        connection=connection,
        dfe_id=dfe_id,
        participant_id=record["participant_id"],
        course_identifier=course,
        cohort_year=cohort.academic_year,
        status=DfeApplication.Status.ACCEPTED,
        funded_place=True,
        eligible_for_funding=True,
        teacher_catchment=teacher_catchment,
        full_name=f"{first_name} Tester",
        dfe_updated_at=timezone.now(),
        application=application,
    )
    return EnrolmentFactory(
        cohort=cohort, participant=person, application=application, **enrolment_fields
    )


def attended(cohort, *places, when: datetime.datetime = FIRST_SESSION):
    """A session each place attended: the evidence a started declaration needs."""
    meeting = session(cohort, when)
    take_register(meeting, dict.fromkeys(places, "present"))
    return meeting


def use_fake(monkeypatch, settings, fake: FakeDfe, transport=None):
    """Every client the portal makes reaches `fake` (or `transport`), with no pacing."""
    settings.DFE = {**settings.DFE, "min_interval_seconds": 0}
    transport = transport or httpx.MockTransport(fake.handle)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    return transport
