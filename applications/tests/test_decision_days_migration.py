"""Migrations 0008 and 0009 give each application the decision days its history holds: proved
on a database taken back to the layout before them (the new columns gone, the rows kept),
filled there, then migrated forward."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from applications.models import Application
from applications.services import (
    application_accept,
    application_record_registered,
    application_reject,
    application_school_decide,
    application_waitlist,
    application_withdraw,
)
from applications.tests.factories import ApplicationFactory
from cohorts.tests.factories import CohortFactory
from npq_portal.tests.factories import UserFactory

BEFORE = [("applications", "0007_team_sign_ups_index")]
A = Application.Status


def _sent():
    return ApplicationFactory(status=A.AWAITING_SCHOOL)


def _school(application, *, approve: bool):
    return application_school_decide(
        application=application,
        approve=approve,
        name="Helen Whitfield",
        email="head@oakfield.example",
        comment="" if approve else "Not this year",
    )


@pytest.mark.django_db(transaction=True)
def test_the_decision_days_are_filled_in_from_each_history():
    staff = UserFactory()
    accepted = application_accept(application=_school(_sent(), approve=True), by=staff)
    accepted = Application.objects.get(pk=accepted.application_id)
    waitlisted = application_waitlist(application=_school(_sent(), approve=True), by=staff)
    declined_then_rejected = application_reject(
        application=_school(_sent(), approve=False), by=staff, reason="Declined"
    )
    withdrawn = _sent()
    application_withdraw(application=withdrawn, by=withdrawn.applicant)
    waiting = _sent()
    # Registered with DfE, recorded by staff: its history starts at "approved", but its school
    # was never asked.
    registered = application_record_registered(
        applicant=UserFactory(), cohort=CohortFactory(), trn="", school=None, by=staff, reason="DfE"
    )
    # Made in bulk, with no history: declined, and rejected.
    bulk_declined = ApplicationFactory(status=A.SCHOOL_DECLINED)
    bulk_rejected = ApplicationFactory(status=A.REJECTED)
    everyone = [
        accepted,
        waitlisted,
        declined_then_rejected,
        withdrawn,
        waiting,
        registered,
        bulk_declined,
        bulk_rejected,
    ]

    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        # At that layout a decline's day could be missing from the row (made elsewhere): the
        # history gives it.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE applications_application SET school_decided_at = NULL WHERE id = %s",
                [declined_then_rejected.pk],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    def decision(application, to_status):
        return application.events.get(to_status=to_status).at

    kept = Application.objects.in_bulk([a.pk for a in everyone])
    assert [
        (kept[a.pk].decided_at, kept[a.pk].school_approved, kept[a.pk].school_decided_at)
        for a in everyone
    ] == [
        (decision(accepted, A.ACCEPTED), True, accepted.school_decided_at),
        (None, True, waitlisted.school_decided_at),
        (
            decision(declined_then_rejected, A.REJECTED),
            False,
            decision(declined_then_rejected, A.SCHOOL_DECLINED),
        ),
        (decision(withdrawn, A.WITHDRAWN), None, None),
        (None, None, None),
        (None, None, None),
        (None, False, None),
        (None, None, None),
    ]
    assert Application.objects.count() == len(everyone)
