"""Each linked DfE application's kept verdict (`disagreeing`) follows every change to either
side: emptied in the writer's transaction, then compared again, and always what comparing the
pair now says (`open_disagreements`)."""

import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from dfe import reconcile
from dfe.fake import FakeDfe, later
from dfe.models import DfeApplication
from dfe.reconcile import (
    LINKED_RELATED,
    dfe_application_link,
    dfe_application_unlink,
    dfe_disagreement_acknowledge,
    open_disagreements,
    portal_only,
    reconciliation_bring_up_to_date,
    reconciliation_buckets,
    reconciliation_stale,
)
from funding.services import funding_decision_override
from npq_portal.signals import rows_written
from npq_portal.tests.factories import StaffUserFactory
from npq_portal.tests.threads import run_together
from schools.models import School

from .reconciling import PORTAL_NOW, Hub, dfe_add, pull
from .test_reconcile import _decide_funding

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def hub():
    return Hub()


def _kept(dfe_id) -> bool | None:
    return DfeApplication.objects.get(dfe_id=dfe_id).disagreeing


def _record(dfe_id) -> DfeApplication:
    return DfeApplication.objects.select_related(*LINKED_RELATED).get(dfe_id=dfe_id)


def _live(dfe_id) -> bool:
    return bool(open_disagreements(_record(dfe_id)))


def _emptied_then(dfe_id) -> bool:
    """The verdict was emptied by the change; compared again, it is what comparing says now."""
    assert _kept(dfe_id) is None, "the change left the kept verdict as it was"
    assert reconciliation_bring_up_to_date() >= 1
    assert _kept(dfe_id) is _live(dfe_id)
    return _kept(dfe_id)


def _pair(hub, fake=None, **dfe_attributes):
    """A portal application and DfE's, pulled and linked: (application, dfe_id, fake)."""
    fake = fake or FakeDfe()
    application = hub.application()
    dfe_id = dfe_add(fake, application, **dfe_attributes)
    pull(fake, hub.connection)
    return application, dfe_id, fake


def test_a_pull_compares_what_it_linked(hub):
    agreeing, agreeing_id, fake = _pair(hub)
    other = hub.application(email="dora@example.org", trn="7654321")
    _decide_funding(other, funded=True, status="funded")
    disagreeing_id = dfe_add(fake, other, eligible_for_funding=False)

    pull(fake, hub.connection, full=True)

    assert _kept(agreeing_id) is False
    assert _kept(disagreeing_id) is True
    assert _live(disagreeing_id) is True


def test_a_portal_applications_change_is_compared_again(hub):
    application, dfe_id, _ = _pair(hub)
    assert _kept(dfe_id) is False

    application.status = Application.Status.ACCEPTED  # DfE's is still pending
    application.save()

    assert _emptied_then(dfe_id) is True
    application.status = Application.Status.SCHOOL_APPROVED
    application.save(update_fields=["status", "updated_at"])
    assert _emptied_then(dfe_id) is False


def test_a_save_naming_no_compared_field_leaves_the_verdict(hub):
    application, dfe_id, _ = _pair(hub)

    application.answers = {"role": "Deputy head"}
    application.save(update_fields=["answers", "updated_at"])

    assert _kept(dfe_id) is False


def test_the_funding_decision_made_changed_and_deleted_is_compared_again(hub):
    application, dfe_id, _ = _pair(hub, eligible_for_funding=False)
    decision = _decide_funding(application, funded=False, status="previously_funded")
    reconciliation_stale(DfeApplication.objects.filter(dfe_id=dfe_id))  # the helper's update
    assert _emptied_then(dfe_id) is False

    funding_decision_override(
        decision=decision, funded=True, reason="Hub policy", by=StaffUserFactory()
    )
    assert _emptied_then(dfe_id) is True

    decision.delete()
    assert _emptied_then(dfe_id) is False


def test_dfes_change_through_a_pull_is_compared_again(hub, monkeypatch):
    _, dfe_id, fake = _pair(hub)
    assert _kept(dfe_id) is False
    fake.applications[dfe_id].update(status="rejected")
    later(fake, hours=1)
    monkeypatch.setattr("dfe.sync.reconciliation_bring_up_to_date", lambda: 0)

    pull(fake, hub.connection, full=True)

    assert _emptied_then(dfe_id) is True


def test_a_link_and_an_unlink_are_compared_again(hub):
    _, dfe_id, _ = _pair(hub)
    record = DfeApplication.objects.get(dfe_id=dfe_id)
    other = hub.application(
        cohort=hub.headship_cohort, email="other@example.org", status=Application.Status.ACCEPTED
    )

    dfe_application_unlink(dfe_application=record, by=None)
    assert _kept(dfe_id) is None
    assert reconciliation_buckets().counts["matched"] == 0

    dfe_application_link(dfe_application=record, application=other, by=None)
    assert _emptied_then(dfe_id) is True  # another course, and DfE's still pending
    assert reconciliation_buckets().counts == {
        "dfe_only": 0,
        "portal_only": 1,
        "matched": 0,
        "disagreements": 1,
    }


def test_an_acknowledgement_holds_until_a_new_difference_appears(hub):
    application, dfe_id, fake = _pair(hub, eligible_for_funding=False)
    _decide_funding(application, funded=True, status="funded")
    reconciliation_stale(DfeApplication.objects.filter(dfe_id=dfe_id))  # the helper's update
    assert _emptied_then(dfe_id) is True

    dfe_disagreement_acknowledge(
        dfe_application=DfeApplication.objects.get(dfe_id=dfe_id), kind="funding", by=None
    )
    assert _emptied_then(dfe_id) is False
    assert reconciliation_buckets().counts["matched"] == 1

    application.status = Application.Status.ACCEPTED  # a new difference: DfE's is pending
    application.save()
    assert _emptied_then(dfe_id) is True
    application.status = Application.Status.SCHOOL_APPROVED
    application.save()
    assert _emptied_then(dfe_id) is False

    fake.applications[dfe_id].update(status="rejected")  # a new difference, at DfE
    later(fake, hours=1)
    pull(fake, hub.connection, full=True)
    assert _kept(dfe_id) is True
    assert [found.kind for found in open_disagreements(_record(dfe_id))] == ["status"]


def test_the_cohort_programme_and_school_are_compared_again(hub):
    application, dfe_id, _ = _pair(hub)
    cohort, school = application.cohort, application.school

    cohort.academic_year = 2026
    cohort.save()
    assert _emptied_then(dfe_id) is True
    cohort.academic_year = 2025
    cohort.save(update_fields=["academic_year"])
    assert _emptied_then(dfe_id) is False

    hub.leadership.course_identifier = "npq-leading-teaching"
    hub.leadership.save()
    assert _emptied_then(dfe_id) is True

    school.urn += 1
    school.save()
    assert _kept(dfe_id) is None
    reconciliation_bring_up_to_date()
    assert _kept(dfe_id) is _live(dfe_id) is True


def test_a_schools_new_name_reopens_its_acknowledged_school_disagreement(hub):
    application, dfe_id, _ = _pair(hub, school_urn="999999")
    assert _kept(dfe_id) is True
    dfe_disagreement_acknowledge(
        dfe_application=DfeApplication.objects.get(dfe_id=dfe_id), kind="school", by=None
    )
    assert _emptied_then(dfe_id) is False

    school = application.school
    school.name = "Renamed Academy"
    school.save()
    assert _emptied_then(dfe_id) is True


def test_an_import_of_schools_empties_the_acknowledged_verdicts(hub):
    application, dfe_id, _ = _pair(hub, school_urn="999999")
    dfe_disagreement_acknowledge(
        dfe_application=DfeApplication.objects.get(dfe_id=dfe_id), kind="school", by=None
    )
    reconciliation_bring_up_to_date()
    School.objects.filter(pk=application.school_id).update(name="Renamed in bulk")

    rows_written.send(sender=School, cohort_ids=set())  # as schools_import_* do

    assert _emptied_then(dfe_id) is True


def test_deleting_either_side_takes_the_pair_out_of_the_linked_buckets(hub):
    application, dfe_id, fake = _pair(hub)
    other = hub.application(email="dora@example.org", trn="7654321")
    other_id = dfe_add(fake, other, status="accepted")  # the portal's is not accepted
    pull(fake, hub.connection, full=True)
    assert reconciliation_buckets().counts["disagreements"] == 1

    DfeApplication.objects.get(dfe_id=other_id).delete()
    assert reconciliation_buckets().counts == {
        "dfe_only": 0,
        "portal_only": 1,
        "matched": 1,
        "disagreements": 0,
    }

    DfeApplication.objects.filter(dfe_id=dfe_id).update(status="accepted")  # no signal
    reconciliation_stale(DfeApplication.objects.filter(dfe_id=dfe_id))
    application.delete()
    assert reconciliation_buckets().counts == {
        "dfe_only": 1,
        "portal_only": 1,
        "matched": 0,
        "disagreements": 0,
    }


def _emptied_pairs(hub, count: int) -> None:
    """`count` more linked pairs, every other one with an acknowledgement, and every linked
    pair's verdict emptied (as a pull that changed them all would leave them)."""
    applications = [
        hub.application(email=f"p{n}-{count}@example.org", trn="") for n in range(count)
    ]
    fake = FakeDfe()
    for application in applications:
        dfe_add(fake, application, status="accepted")
    pull(fake, hub.connection, full=True)
    seen = {"status": {"portal": "Approved by school", "dfe": "Accepted"}}
    DfeApplication.objects.filter(application__in=applications[::2]).update(acknowledged=seen)
    reconciliation_stale(DfeApplication.objects.all())


def test_comparing_makes_the_same_queries_however_many_were_emptied(hub):
    counts = []
    for count in (3, 60):
        _emptied_pairs(hub, count)
        with CaptureQueriesContext(connection) as queries:
            compared = reconciliation_bring_up_to_date()
        counts.append(len(queries))
        assert compared == DfeApplication.objects.count()
    assert counts[0] == counts[1]
    assert DfeApplication.objects.filter(disagreeing=True).count() == 63 - 32  # not acknowledged
    assert reconciliation_bring_up_to_date() == 0


def test_the_page_makes_the_same_queries_while_comparing_however_many(client, hub):
    from npq_portal.roles import Role
    from npq_portal.tests.factories import sign_in

    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    page = reverse("dfe:reconciliation")
    client.get(page)
    counts = []
    for count in (3, 60):
        _emptied_pairs(hub, count)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert "Disagreements (31)" in response.content.decode()


def test_nothing_emptied_costs_the_page_one_query(hub):
    _pair(hub)
    with CaptureQueriesContext(connection) as queries:
        assert reconciliation_bring_up_to_date() == 0
    assert len(queries) == 1


def test_beat_compares_the_emptied_every_five_minutes(hub, settings):
    from celery import current_app

    from dfe.tasks import reconciliation_bring_up_to_date_task

    entry = settings.CELERY_BEAT_SCHEDULE["bring-reconciliation-up-to-date"]
    assert entry["task"] in current_app.tasks
    assert entry["schedule"].minute == set(range(0, 60, 5))
    _, dfe_id, _ = _pair(hub)
    reconciliation_stale(DfeApplication.objects.all())

    reconciliation_bring_up_to_date_task.delay()

    assert _kept(dfe_id) is False


# ---- Races, on PostgreSQL: a writer's change is seen, or empties the verdict again after --------


@pytest.mark.django_db(transaction=True)
def test_comparing_waits_for_a_change_being_written_and_includes_it():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    application, dfe_id, _ = _pair(Hub())
    reconciliation_stale(DfeApplication.objects.all())
    written, compared = threading.Event(), threading.Event()

    def write():
        with transaction.atomic():
            application.status = Application.Status.ACCEPTED  # DfE's is pending
            application.save()
            written.set()  # the DfE application's row is locked until this commits
            compared.wait(timeout=1)  # comparing must not finish before the commit

    def compare():
        written.wait(timeout=10)
        reconciliation_bring_up_to_date()
        compared.set()

    run_together(write=write, compare=compare)

    assert _kept(dfe_id) is True


@pytest.mark.django_db(transaction=True)
def test_a_change_written_while_comparing_empties_the_verdict_again(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    application, dfe_id, _ = _pair(Hub(), eligible_for_funding=False)
    _decide_funding(application, funded=True, status="funded")
    reconciliation_stale(DfeApplication.objects.all())
    reconciliation_bring_up_to_date()
    dfe_disagreement_acknowledge(  # so the pair is compared in Python, where it pauses
        dfe_application=DfeApplication.objects.get(dfe_id=dfe_id), kind="funding", by=None
    )
    read, written = threading.Event(), threading.Event()
    real = reconcile.open_disagreements

    def read_then_pause(record):
        found = real(record)
        read.set()
        written.wait(timeout=1)  # the writer waits on the row's lock meanwhile
        return found

    monkeypatch.setattr(reconcile, "open_disagreements", read_then_pause)

    def write():
        read.wait(timeout=10)
        application.status = Application.Status.ACCEPTED  # a new difference
        application.save()
        written.set()

    run_together(compare=reconciliation_bring_up_to_date, write=write)

    assert _kept(dfe_id) is None  # compared from before the change, then emptied by it
    monkeypatch.setattr(reconcile, "open_disagreements", real)
    reconciliation_bring_up_to_date()
    assert _kept(dfe_id) is True


def test_a_portal_application_linked_to_dfes_of_another_year_is_not_only_in_the_portal(hub):
    """DfE has it, in another DfE cohort: a disagreement, whether emptied, open or
    acknowledged, and never "only in the portal", whichever years are listed."""
    _, dfe_id, _ = _pair(hub)
    DfeApplication.objects.filter(dfe_id=dfe_id).update(cohort_year=2024)  # as a pull writes
    reconciliation_stale(DfeApplication.objects.filter(dfe_id=dfe_id))

    def only_in_the_portal() -> list[int]:
        return [portal_only(years=years).count() for years in (None, [2025])]

    assert only_in_the_portal() == [0, 0]  # emptied
    assert _emptied_then(dfe_id) is True
    assert only_in_the_portal() == [0, 0]  # disagreeing on the cohort
    dfe_disagreement_acknowledge(
        dfe_application=DfeApplication.objects.get(dfe_id=dfe_id), kind="cohort", by=None
    )
    assert _emptied_then(dfe_id) is False
    assert only_in_the_portal() == [0, 0]  # acknowledged
    dfe_application_unlink(dfe_application=DfeApplication.objects.get(dfe_id=dfe_id), by=None)
    assert only_in_the_portal() == [1, 1]


def test_a_portal_application_moved_to_another_year_is_not_only_in_the_portal(hub):
    """The portal's side changing year empties the verdict through the ordinary save, and the
    pair disagrees on the cohort once compared: in neither state is it only in the portal."""
    application, dfe_id, _ = _pair(hub)
    hub.connection.cohort_years = [2025, 2026]
    hub.connection.save()
    application.cohort = hub.cohort_make(hub.leadership, year=2026)
    application.save()

    assert portal_only(years=[2026]).count() == 0  # emptied
    assert _emptied_then(dfe_id) is True
    assert portal_only(years=[2026]).count() == 0  # disagreeing on the cohort
    assert portal_only(years=[2025]).count() == 0


def test_the_few_that_may_be_of_another_year_are_those_of_their_index():
    """Only in the portal reads them along the index: the same condition, or PostgreSQL reads
    every linked DfE application instead."""
    index = next(
        each for each in DfeApplication._meta.indexes if each.name == "dfe_linked_maybe_other_year"
    )

    assert index.condition == reconcile.MAYBE_OTHER_YEAR
