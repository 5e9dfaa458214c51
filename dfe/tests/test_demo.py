"""The DfE exchange `make run` shows: a connection to the demo's fake DfE (kept in the state
file), a reconciliation with matched, DfE-only and portal-only applications, and a started
declaration sent and paid; made once however often the demo is loaded."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from dfe.connection import FAKE_URL
from dfe.demo import DEMO_CONNECTION, DEMO_TOKEN, DFE_ONLY
from dfe.fake import fake_load
from dfe.models import Connection, Declaration, DeliveryPartnerLink, DfeApplication, Statement
from dfe.reconcile import dfe_only, linked_rows, portal_only, reconciliation_buckets
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from programmes.services import catalogue_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def state_file(settings, tmp_path):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    path = tmp_path / "fake.pickle"
    settings.DFE = {**settings.DFE, "fake_state": str(path), "min_interval_seconds": 0}
    catalogue_load()
    return path


def _load():
    output = io.StringIO()
    call_command("load_demo_data", stdout=output)
    return output.getvalue()


def test_the_demo_reconciles_with_a_fake_dfe_and_has_a_declaration_paid(state_file, client):
    output = _load()
    saved = state_file.read_bytes()
    _load()

    connection = Connection.objects.get()
    assert connection.name == DEMO_CONNECTION
    assert connection.base_url == FAKE_URL and connection.enabled
    assert "fake DfE kept in" in output
    # Loaded again, nothing was made twice, and the fake DfE was left as it was.
    assert state_file.read_bytes() == saved
    assert fake_load(str(state_file)).token == DEMO_TOKEN
    links = DeliveryPartnerLink.objects.filter(connection=connection)
    assert {link.name for link in links} == {"Generate Teaching School Hub"}
    assert sorted(link.cohort_year for link in links) == connection.cohort_years

    buckets = reconciliation_buckets()
    assert buckets.counts["matched"] >= 3
    (row,) = linked_rows(buckets.disagreements)
    assert row.record.full_name == "Chloe Davies"
    assert [found.kind for found in row.open] == ["funding"]
    assert sorted(record.full_name for record in dfe_only()) == [name for name, *_ in DFE_ONLY]
    portal = {application.applicant.email for application in portal_only()}
    assert {"femi.adeyemi@demo.example", "teacher@demo.example"} <= portal
    assert DfeApplication.objects.count() == 7

    paid = Declaration.objects.get(state=Declaration.State.PAID)
    assert paid.declaration_type == "started"
    assert Statement.objects.get(dfe_id=paid.statement_id).paid
    assert Declaration.objects.filter(state=Declaration.State.ELIGIBLE).exists()

    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    shown = {
        "disagreements": "Chloe Davies",
        "matched": "Amira Hussain",
        "dfe_only": "Isabel Moreno",
        "portal_only": "Femi Adeyemi",
    }
    for bucket, name in shown.items():
        page = client.get(f"/staff/dfe/reconciliation/?show={bucket}")
        assert page.status_code == 200
        assert name in page.content.decode(), bucket
    page = client.get("/staff/dfe/declarations/?show=sent")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Paid" in html and paid.enrolment.participant.get_full_name() in html
    page = client.get("/staff/dfe/statements/")
    assert page.status_code == 200
    statement = Statement.objects.get(dfe_id=paid.statement_id)
    assert f"{statement.month} {statement.year}" in page.content.decode()


def test_a_new_demo_database_gets_a_new_fake_dfe(state_file):
    state_file.write_bytes(b"left from an earlier demo database")

    _load()

    assert Path(state_file).exists()
    fake = fake_load(str(state_file))
    assert len(fake.applications) == 7
    assert any(record["state"] == "paid" for record in fake.declarations.values())
