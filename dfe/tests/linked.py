"""A portal application linked to one of the fake DfE's, for the tests of what the portal sends.

`fake` is a FakeDfe that every client of the portal reaches (the outbox task's too);
`linked(...)` makes a 2025 Senior Leadership cohort covered by a switched-on connection, an
approved application in it with the portal's funding decision, and DfE's pending application
for the same person, linked to it.
"""

import datetime
from dataclasses import dataclass

import httpx
import pytest
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from dfe.client import DfeClient
from dfe.connection import connection_save
from dfe.fake import TOKEN, FakeDfe
from dfe.models import SANDBOX_URL, Connection, DfeApplication
from funding.models import FundingDecision
from programmes.tests.factories import ProgrammeFactory

COURSE = "npq-senior-leadership"


@pytest.fixture(name="fake")
def fake_dfe(monkeypatch):
    """The fake DfE, reached by every client the portal makes; backing off takes no time."""
    fake = FakeDfe()
    transport = httpx.MockTransport(fake.handle)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    monkeypatch.setitem(DfeClient.__init__.__kwdefaults__, "sleep", lambda seconds: None)
    return fake


@dataclass
class Linked:
    fake: FakeDfe
    connection: Connection
    application: Application
    dfe: DfeApplication

    @property
    def cohort(self) -> Cohort:
        return self.application.cohort


def covered_cohort(programme=None, **fields) -> Cohort:
    programme = programme or ProgrammeFactory(
        slug="npq-senior-leadership", course_identifier=COURSE, short_name="NPQSL"
    )
    values = dict(
        programme=programme,
        academic_year=2025,
        starts_on=datetime.date(2025, 10, 1),
        ends_on=datetime.date(2026, 7, 14),
        application_deadline=datetime.date(2025, 9, 15),
        status=Cohort.Status.OPEN,
    )
    return CohortFactory(**(values | fields))


def dfe_connection(*programmes, enabled=True) -> Connection:
    connection = connection_save(
        connection=Connection(
            name="Ambition Institute", base_url=SANDBOX_URL, enabled=enabled, cohort_years=[2025]
        ),
        token=TOKEN,
    )
    connection.programmes.add(*programmes)
    return connection


def linked(
    fake: FakeDfe,
    *,
    funded: bool = True,
    eligible_for_funding: bool = True,
    cohort: Cohort | None = None,
    connection: Connection | None = None,
    email: str = "ada@example.org",
) -> Linked:
    cohort = cohort or covered_cohort()
    connection = connection or dfe_connection(cohort.programme)
    decision = FundingDecision.objects.create(
        subject="applications.application:0",
        rules="2026",
        facts={},
        status="funded" if funded else "ineligible_establishment_type",
        funded=funded,
        reason="As the rules say.",
    )
    application = ApplicationFactory(
        cohort=cohort,
        status=Application.Status.SCHOOL_APPROVED,
        funding_decision=decision,
        submitted_at=timezone.now(),
    )
    dfe_id = fake.add_application(
        course_identifier=COURSE,
        cohort=str(cohort.academic_year),
        eligible_for_funding=eligible_for_funding,
        email=email,
        teacher_reference_number=None,
    )
    record = fake.applications[dfe_id]
    dfe = DfeApplication.objects.create(
        connection=connection,
        dfe_id=dfe_id,
        participant_id=record["participant_id"],
        course_identifier=COURSE,
        cohort_year=cohort.academic_year,
        status=DfeApplication.Status.PENDING,
        eligible_for_funding=eligible_for_funding,
        email=email,
        dfe_updated_at=fake.now,
        application=application,
    )
    return Linked(fake=fake, connection=connection, application=application, dfe=dfe)


def declare(fake: FakeDfe, dfe: DfeApplication, declaration_type: str = "started", **extra):
    """Submit a declaration to the fake as a lead provider would; DfE's JSON of it."""
    partner = next(iter(fake.delivery_partners), None) or fake.add_delivery_partner()
    client = DfeClient(
        "https://sandbox.register-npq.education.gov.uk",
        TOKEN,
        transport=httpx.MockTransport(fake.handle),
    )
    with client:
        return client.post(
            "/api/v3/participant-declarations",
            {
                "data": {
                    "type": "participant-declaration",
                    "attributes": {
                        "participant_id": str(dfe.participant_id),
                        "declaration_type": declaration_type,
                        "declaration_date": "2025-10-06T09:00:00Z",
                        "course_identifier": dfe.course_identifier,
                        "delivery_partner_id": partner,
                        **extra,
                    },
                }
            },
        )["data"]
