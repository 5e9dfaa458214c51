"""The reconciliation page's counts are kept (dfe/reconcile_counts.py) and never go stale: after
each kind of change to what they are counted from, the counts the page uses equal a fresh
count, and the change altered them. With nothing changed they are read, not counted again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection as db_connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from applications.services import application_save_answers, application_withdraw
from dfe import reconcile
from dfe.connection import connection_save
from dfe.fake import FakeDfe, later
from dfe.models import DfeApplication, ReconciliationCounts
from dfe.reconcile import (
    dfe_application_link,
    dfe_application_unlink,
    reconciliation_buckets,
    reconciliation_connections,
    reconciliation_counted,
)
from dfe.reconcile_counts import COUNTED, reconciliation_counts_kept
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from npq_portal.tests.threads import run_together

from .reconciling import PORTAL_NOW, Hub, dfe_add, pull

pytestmark = pytest.mark.django_db

SCOPES = [None, [2025]]  # every DfE cohort, and one chosen


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def scene():
    """One pair linked and matched, one pair linked and disagreeing, and one portal
    application DfE has none of: each counted once."""
    hub = Hub()
    fake = FakeDfe()
    matched = hub.application(email="mary@example.org", trn="1000001")
    dfe_add(fake, matched)
    differs = hub.application(email="dora@example.org", trn="1000002")
    dfe_add(fake, differs, status="accepted")  # the portal's is not accepted
    alone = hub.application(email="pat@example.org", trn="1000003")
    pull(fake, hub.connection)
    return hub, fake, matched, differs, alone


def _kept(years=None) -> dict[str, int]:
    counts = reconciliation_buckets(years=years).counts
    return {name: counts[name] for name in COUNTED}


def _fresh(years=None) -> dict[str, int]:
    return reconciliation_counted(years=years, course="", connections=reconciliation_connections())


def _changed_and_current(change) -> None:
    """Count and keep every scope's counts, make the change, then: the counts the page uses
    are a fresh count's in every scope, and differ from before in at least one."""
    before = {str(years): _kept(years) for years in SCOPES}
    assert ReconciliationCounts.objects.count() == len(SCOPES)
    change()
    after = {str(years): _kept(years) for years in SCOPES}
    for years in SCOPES:
        assert after[str(years)] == _fresh(years), f"stale counts for years={years}"
    assert after != before, "the change altered no count, so this proves nothing"


def test_the_scene_is_counted_as_a_fresh_count_would(scene):
    assert _kept() == {"portal_only": 1, "matched": 1, "disagreements": 1} == _fresh()


# ---- Each kind of change -----------------------------------------------------------------


def test_an_application_sent(scene):
    hub = scene[0]
    draft = hub.application(email="new@example.org", status=Application.Status.DRAFT)

    def send():
        draft.status = Application.Status.AWAITING_SCHOOL  # as the services move it
        draft.save()

    _changed_and_current(send)


def test_an_application_withdrawn(scene):
    alone = scene[4]
    _changed_and_current(lambda: application_withdraw(application=alone, by=None))


def test_an_application_moved_to_a_cohort_no_connection_covers(scene):
    hub, *_, alone = scene
    elsewhere = Hub.cohort_make(hub.leadership, year=2024)

    def move():
        alone.cohort = elsewhere
        alone.save(update_fields=["cohort", "updated_at"])

    _changed_and_current(move)


def test_an_application_deleted(scene):
    alone = scene[4]
    _changed_and_current(alone.delete)


def test_a_cohorts_school_year_changed(scene):
    hub = scene[0]

    def move():
        hub.cohort.academic_year = 2024
        hub.cohort.save()

    _changed_and_current(move)


def test_a_link_made_by_hand(scene):
    hub, fake, *_, alone = scene
    dfe_add(fake, alone, email="pat.other@example.org", teacher_reference_number=None)
    later(fake, hours=1)
    pull(fake, hub.connection, full=True)
    record = DfeApplication.objects.get(application__isnull=True)

    _changed_and_current(
        lambda: dfe_application_link(dfe_application=record, application=alone, by=None)
    )


def test_a_link_undone(scene):
    matched = scene[2]
    record = DfeApplication.objects.get(application=matched)
    _changed_and_current(lambda: dfe_application_unlink(dfe_application=record, by=None))


def test_a_dfe_application_deleted(scene):
    differs = scene[3]
    _changed_and_current(DfeApplication.objects.get(application=differs).delete)


def test_a_pull_that_links(scene):
    hub, fake, *_, alone = scene
    dfe_add(fake, alone)
    later(fake, hours=1)
    _changed_and_current(lambda: pull(fake, hub.connection))


def test_a_pull_that_brings_a_disagreement(scene):
    hub, fake, matched, *_ = scene
    dfe_id = str(DfeApplication.objects.get(application=matched).dfe_id)
    fake.applications[dfe_id].update(status="rejected")
    later(fake, hours=1)
    _changed_and_current(lambda: pull(fake, hub.connection, full=True))


def test_what_a_connection_covers(scene):
    hub = scene[0]

    def narrow():
        hub.connection.cohort_years = [2026]
        connection_save(connection=hub.connection)

    _changed_and_current(narrow)


def test_a_new_day_counts_again(scene):
    _kept()
    with time_machine.travel(PORTAL_NOW + timedelta(days=1), tick=False):
        with CaptureQueriesContext(db_connection) as captured:
            _kept()
    assert _counted(captured)


# ---- Nothing changed: read, not counted --------------------------------------------------


def _counted(captured) -> bool:
    return any(
        'FROM "applications_application"' in query["sql"] and "COUNT(" in query["sql"]
        for query in captured.captured_queries
    )


def test_with_nothing_changed_the_counts_are_read_not_counted(scene):
    _kept()
    with CaptureQueriesContext(db_connection) as captured:
        kept = _kept()
    assert not _counted(captured)
    assert kept == _fresh()


def test_kept_counts_are_read_with_their_version_in_one_query(scene):
    scope = ("the scope's parts",)
    reconciliation_counts_kept(scope, _fresh)

    with CaptureQueriesContext(db_connection) as captured:
        kept = reconciliation_counts_kept(scope, lambda: pytest.fail("counted again"))

    assert kept == {name: _fresh()[name] for name in COUNTED}
    assert len(captured.captured_queries) == 1


def test_a_drafts_answers_leave_the_counts_kept(scene):
    hub = scene[0]
    draft = hub.application(email="new@example.org", status=Application.Status.DRAFT)
    _kept()
    application_save_answers(application=draft, answers={"role": "Deputy head"})
    with CaptureQueriesContext(db_connection) as captured:
        _kept()
    assert not _counted(captured)


def test_the_page_shows_the_kept_counts(client, scene):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    page = reverse("dfe:reconciliation")
    client.get(page)
    application_withdraw(application=scene[4], by=None)

    shown = client.get(page).content.decode()

    assert "Only in the portal (0)" in shown
    assert "Matched (1)" in shown and "Disagreements (1)" in shown


# ---- Races (PostgreSQL): a change committed while the counts are counted is never lost ----


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_counting_has_them_counted_again(scene, monkeypatch):
    if db_connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL.")
    alone = scene[4]
    counted, written = threading.Event(), threading.Event()
    real = reconcile.reconciliation_counted

    def count_then_pause(**kwargs):
        found = real(**kwargs)
        counted.set()
        written.wait(timeout=5)  # the change commits before these are kept
        return found

    monkeypatch.setattr(reconcile, "reconciliation_counted", count_then_pause)
    seen = []

    def read():
        seen.append(_kept())

    def write():
        counted.wait(timeout=10)
        application_withdraw(application=alone, by=None)
        written.set()

    run_together(read=read, write=write)
    monkeypatch.undo()

    assert seen == [{"portal_only": 1, "matched": 1, "disagreements": 1}]  # as counted
    assert _kept() == _fresh() == {"portal_only": 0, "matched": 1, "disagreements": 1}


@pytest.mark.django_db(transaction=True)
def test_counts_kept_while_a_change_is_being_written_are_counted_again_after_it(scene):
    if db_connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL.")
    alone = scene[4]
    written, kept = threading.Event(), threading.Event()

    def write():
        with transaction.atomic():
            application_withdraw(application=alone, by=None)
            written.set()  # not committed until the counts are kept
            kept.wait(timeout=10)

    seen = []

    def read():
        written.wait(timeout=10)
        seen.append(_kept())
        kept.set()

    run_together(write=write, read=read)

    assert seen == [{"portal_only": 1, "matched": 1, "disagreements": 1}]  # not committed yet
    assert _kept() == _fresh() == {"portal_only": 0, "matched": 1, "disagreements": 1}
