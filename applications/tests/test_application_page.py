"""An application's staff page: its funding decision's history, and what the page asks the
database for when there is none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding.models import FundingOverride, FundingRedecision
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from npq_portal.tests.querycount import session_reads

from .test_applications import A, _application

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    user = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, user)
    return user


def test_the_page_shows_its_funding_decisions_redecisions_and_overrides(client, lead):
    application = _application(A.SCHOOL_APPROVED)
    decision = application.funding_decision
    FundingRedecision.objects.create(
        decision=decision,
        from_status="to_be_confirmed",
        from_reason="Waiting for the PP50 list.",
        from_facts={},
        to_status=decision.status,
        note="The PP50 list was uploaded.",
    )
    FundingOverride.objects.create(
        decision=decision, status="marked_ineligible_by_policy", reason="Trust is paying", by=lead
    )

    page = client.get(application.get_absolute_url()).content.decode()

    assert "re-decided from" in page
    assert "The PP50 list was uploaded." in page
    assert "Trust is paying" in page


def test_with_no_funding_history_place_or_change_for_dfe_the_page_asks_for_none(client, lead):
    application = _application(A.SCHOOL_APPROVED)
    url = application.get_absolute_url()
    client.get(url)  # on PostgreSQL, the fixed queries' statements prepared

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()

    # The session (unless the cache has it), the person with their access, the application
    # (with whether its funding decision has a history), its events, its places (none: so no
    # places' events), the DfE application linked to it (none) and whether DfE covers its
    # cohort (no: nothing more of DfE).
    assert len(queries) == 6 + session_reads(), "\n".join(q["sql"][:120] for q in queries)
    assert "re-decided from" not in page
    assert "Accept: offer a place" in page
