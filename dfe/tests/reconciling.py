"""Set-up shared by the pull, matching and reconciliation tests: a connection, a fake DfE, the
portal's programme and cohorts for DfE's Senior Leadership NPQ, and pulling through the real path."""

from __future__ import annotations

from datetime import timedelta

import httpx
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from dfe.connection import connection_save
from dfe.fake import TOKEN, FakeDfe
from dfe.models import SANDBOX_URL, Connection
from dfe.sync import sync_run
from npq_portal.tests.factories import UserFactory
from programmes.tests.factories import ProgrammeFactory

SENIOR_LEADERSHIP = "npq-senior-leadership"
HEADSHIP = "npq-headship"
# The fake's clock (FakeDfe().now) and the portal's, half an hour later: a pull that started
# then asks DfE for what changed since 07:30, so the fake's records (09:00) are all changed.
FAKE_NOW = FakeDfe().now
PORTAL_NOW = FAKE_NOW + timedelta(minutes=30)


def connection_make(*programmes, years=(2025,), name="Ambition Institute") -> Connection:
    connection = connection_save(
        connection=Connection(
            name=name, base_url=SANDBOX_URL, enabled=True, cohort_years=list(years)
        ),
        token=TOKEN,
    )
    connection.programmes.add(*programmes)
    return connection


def transport(fake: FakeDfe) -> httpx.MockTransport:
    return httpx.MockTransport(fake.handle)


def pull(fake: FakeDfe, connection: Connection, **kwargs):
    """One sync of the connection against the fake; every Sync it recorded."""
    return sync_run(connection=connection, transport=transport(fake), **kwargs)


class Hub:
    """The portal's side: Senior Leadership and Headship, each with a 2025 cohort open for
    applications, both covered by one switched-on connection."""

    def __init__(self):
        self.leadership = ProgrammeFactory(
            course_identifier=SENIOR_LEADERSHIP, name="NPQ in Senior Leadership"
        )
        self.headship = ProgrammeFactory(course_identifier=HEADSHIP, name="NPQ in Headship")
        self.cohort = self.cohort_make(self.leadership)
        self.headship_cohort = self.cohort_make(self.headship)
        self.connection = connection_make(self.leadership, self.headship)

    @staticmethod
    def cohort_make(programme, year=2025, **fields) -> Cohort:
        return CohortFactory(
            programme=programme,
            academic_year=year,
            status=Cohort.Status.OPEN,
            application_deadline=None,
            **fields,
        )

    def application(
        self,
        *,
        email="ada@example.org",
        trn="1234567",
        cohort=None,
        status=Application.Status.SCHOOL_APPROVED,
        applicant=None,
        **fields,
    ) -> Application:
        applicant = applicant or UserFactory(email=email)
        return ApplicationFactory(
            applicant=applicant,
            cohort=cohort or self.cohort,
            trn=trn,
            status=status,
            submitted_at=None if status == Application.Status.DRAFT else timezone.now(),
            **fields,
        )


def dfe_add(fake: FakeDfe, application: Application | None = None, **attributes) -> str:
    """An application at DfE: by default the same person, course, cohort and school as the
    portal's `application`; `attributes` change any of them (FakeDfe.add_application's)."""
    if application is not None:
        attributes = {
            "email": application.applicant.email,
            "teacher_reference_number": application.trn or None,
            "course_identifier": application.cohort.programme.course_identifier,
            "cohort": str(application.cohort.academic_year),
            "school_urn": str(application.school.urn),
            "full_name": application.applicant.get_full_name(),
            **attributes,
        }
    return fake.add_application(**attributes)
