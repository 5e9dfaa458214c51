"""The ready declarations' counts, and the pages read with them, are kept (dfe/ready_counts.py)
and never go stale: after each kind of change to what they are counted from, the counts the
page uses equal a fresh count, and the page lists what a fresh reading lists. With nothing
changed they are read, not counted or worked out again."""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cohorts.models import Cohort
from dfe.declarations import ReadyKeys, connection_cohorts, declarations_ready_keys
from dfe.fake import FakeDfe
from dfe.identities import participant_ids_follow
from dfe.models import (
    Connection,
    Declaration,
    DfeApplication,
    ReadyCounts,
    ReadyPage,
    ReadyVersion,
)
from dfe.ready_counts import ready_counts_kept, sent_counts
from dfe.sync import _applications_store
from npq_portal.tests.threads import run_together
from participants.models import Enrolment
from reports.models import CohortMilestones

from .declaration_setup import (
    SENIOR_LEADERSHIP,
    attended,
    dfe_cohort,
    dfe_connection,
    linked_place,
    partner_link,
    programme_for,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def hub():
    fake = FakeDfe(now=NOW)
    programme = programme_for(SENIOR_LEADERSHIP, name="NPQ in Senior Leadership")
    connection = dfe_connection(programme)
    cohort = dfe_cohort(programme)
    later = dfe_cohort(programme, name="Later")
    link = partner_link(connection, fake)
    ada = linked_place(connection, fake, cohort, first_name="Ada")
    ben = linked_place(connection, fake, cohort, first_name="Ben")
    cy = linked_place(connection, fake, later, first_name="Cy")
    attended(cohort, ada, ben)
    attended(later, cy)
    return connection, fake, cohort, link, ada, ben, cy


def _kept(connection, now=NOW) -> ReadyKeys:
    """The ready list as the page reads it: counts kept, or counted and kept."""
    return declarations_ready_keys(connection=connection, now=now)


def _fresh(connection, now=NOW) -> tuple[tuple[int, int], list]:
    keys = ReadyKeys(connection, connection_cohorts(connection), today=timezone.localdate(now))
    return keys.counts(), list(keys)


WHOLE_PAGE = (0, 10)  # a page from the first, past the last: the whole list as a page


def _page(connection, now=NOW) -> list:
    """The page the declarations page reads: kept, or read and kept."""
    return _kept(connection, now).page(*WHOLE_PAGE)


def _agrees_with_a_fresh_count(connection, now=NOW) -> None:
    kept = _kept(connection, now)
    counts, listed = _fresh(connection, now)
    assert kept.counts() == counts
    assert list(kept) == listed
    assert _page(connection, now) == listed


def _live(connection, place, declaration_type="started", state="submitted") -> Declaration:
    dfe = place.application.dfe
    return Declaration.objects.create(
        connection=connection,
        enrolment=place,
        dfe_application=dfe,
        participant_id=dfe.participant_id,
        declaration_type=declaration_type,
        declaration_date=NOW,
        course_identifier=SENIOR_LEADERSHIP,
        state=state,
        dfe_id=uuid.uuid4(),
    )


def test_with_nothing_changed_the_counts_are_read_not_counted_again(hub):
    connection, *_ = hub
    first = _kept(connection)
    assert first.counts() == (3, 3)
    assert ReadyCounts.objects.count() == 1

    with CaptureQueriesContext(db_connection) as captured:
        again = _kept(connection)
        listed = [key.enrolment_id for key in again]
    assert again.counts() == (3, 3)
    assert listed == [key.enrolment_id for key in first]
    counting = [q for q in captured.captured_queries if "counts AS MATERIALIZED" in q["sql"]]
    assert not counting
    # the cohorts with their kept days' versions, the connection's version, the kept counts,
    # the participants of the page's cohorts, the page (on PostgreSQL, a fixed query run for
    # the first time on the connection is prepared first: once, not on every visit)
    ran = [q for q in captured.captured_queries if not q["sql"].startswith("PREPARE ")]
    assert len(ran) == 5


def test_with_nothing_changed_a_page_is_read_as_kept_not_worked_out_again(hub):
    connection, *_ = hub
    first = _page(connection)
    assert [key.enrolment_id for key in first] == [hub[4].pk, hub[5].pk, hub[6].pk]
    assert ReadyPage.objects.count() == 1

    with CaptureQueriesContext(db_connection) as captured:
        again = _page(connection)
    assert again == first
    worked_out = [q for q in captured.captured_queries if "WITH ranks" in q["sql"]]
    assert not worked_out
    assert ReadyPage.objects.count() == 1
    # Another page is read and kept beside it.
    assert _kept(connection).page(1, 2) == first[1:2]
    assert ReadyPage.objects.count() == 2


def test_a_page_kept_under_an_old_label_is_read_again(hub):
    connection, *_ = hub
    _page(connection)
    kept = ReadyPage.objects.get()
    # Kept with what the list no longer holds (as if read before a change it missed).
    ReadyPage.objects.update(keys=[[kept.keys[0][0], "completed", "2026-01-01", 0]])
    assert len(_page(connection)) == 1  # its label is current: read as kept

    ReadyVersion.objects.filter(connection=connection).update(version=F("version") + 1)
    assert len(_page(connection)) == 3  # the label moved on: read again, and kept
    assert len(ReadyPage.objects.get().keys) == 3


def _declaration_held(hub):
    connection, fake, cohort, link, ada, *_ = hub
    _live(connection, ada)


def _held(hub):
    connection, fake, cohort, link, ada, *_ = hub
    _live(connection, ada)


def _declaration_voided(hub):
    held = Declaration.objects.get()
    held.state = Declaration.State.VOIDED
    held.save()


def _declaration_deleted(hub):
    Declaration.objects.get().delete()


def _another_connections_declaration(hub):
    connection, fake, cohort, link, ada, *_ = hub
    other = Connection.objects.create(name="Other", base_url="https://x.example")
    _live(other, ada)


def _partner_removed(hub):
    hub[3].delete()


def _dfe_application_rejected(hub):
    dfe = hub[4].application.dfe
    dfe.status = DfeApplication.Status.REJECTED
    dfe.save()


def _dfe_application_unlinked(hub):
    dfe = hub[5].application.dfe
    dfe.application = None
    dfe.save()


def _dfe_applications_pulled(hub):
    connection, fake, cohort, link, ada, ben, cy = hub
    dfe = ada.application.dfe
    _applications_store(
        connection=connection,
        rows={str(dfe.dfe_id): {"status": DfeApplication.Status.REJECTED}},
    )


def _participant_id_moved(hub):
    # DfE merged Ben into Ada's participant id, which holds a live started declaration: Ben's
    # started is then held too.
    connection, fake, cohort, link, ada, ben, cy = hub
    participant_ids_follow(
        [
            {
                "from_participant_id": str(ben.application.dfe.participant_id),
                "to_participant_id": str(ada.application.dfe.participant_id),
                "changed_at": "2026-03-01T10:00:00Z",
            }
        ]
    )


def _new_evidence(hub):
    connection, fake, cohort, link, ada, ben, cy = hub
    for day in (2, 3):  # enough sessions for retained-1
        attended(cohort, ada, when=datetime.datetime(2025, 11, day, 16, 0, tzinfo=datetime.UTC))


def _place_deleted(hub):
    Enrolment.objects.filter(pk=hub[6].pk).delete()


def _cohort_renamed(hub):
    # The list's order changes: Later now comes first.
    later = Cohort.objects.get(pk=hub[6].cohort_id)
    later.name = "A later one"
    later.save()


# What is there first (None: the hub alone), then the change.
CHANGES = {
    "a declaration DfE holds": (None, _declaration_held),
    "a declaration voided": (_held, _declaration_voided),
    "a declaration deleted": (_held, _declaration_deleted),
    "another connection's declaration": (None, _another_connections_declaration),
    "the delivery partner removed": (None, _partner_removed),
    "a DfE application rejected": (None, _dfe_application_rejected),
    "a DfE application unlinked": (None, _dfe_application_unlinked),
    "DfE's applications pulled (in bulk)": (None, _dfe_applications_pulled),
    "a participant id DfE retired": (_held, _participant_id_moved),
    "new evidence": (None, _new_evidence),
    "a place deleted": (None, _place_deleted),
    "a cohort renamed": (None, _cohort_renamed),
}


@pytest.mark.parametrize(("first", "change"), CHANGES.values(), ids=CHANGES.keys())
def test_after_any_change_the_kept_counts_equal_a_fresh_count(hub, first, change):
    connection, *_ = hub
    if first is not None:
        first(hub)
    before = _kept(connection)
    before = before.counts(), list(before)
    assert _page(connection) == before[1]  # a page kept before the change

    change(hub)

    _agrees_with_a_fresh_count(connection)
    after = _kept(connection)
    assert (after.counts(), list(after)) != before, (
        "the change made no difference to the list, so this test proves nothing"
    )


def test_on_another_day_they_are_counted_again(hub):
    connection, *_ = hub
    before_evidence = datetime.datetime(2025, 10, 1, 12, 0, tzinfo=datetime.UTC)
    assert _kept(connection, before_evidence).counts() == (0, 0)

    _agrees_with_a_fresh_count(connection)
    assert _kept(connection).counts() == (3, 3)


def test_a_name_changed_moves_the_version_on(hub):
    # A name breaks a tie between two places of one claim; nothing else about a person does.
    connection, fake, cohort, link, ada, *_ = hub
    _kept(connection)
    version = ReadyVersion.objects.get(connection=connection).version
    person = ada.participant

    person.last_login = timezone.now()
    person.save(update_fields=["last_login"])
    assert ReadyVersion.objects.get(connection=connection).version == version

    person.last_name = "Byron"
    person.save()
    assert ReadyVersion.objects.get(connection=connection).version == version + 1
    _agrees_with_a_fresh_count(connection)


def test_counts_from_days_not_yet_worked_out_are_not_kept(hub):
    connection, fake, cohort, *_ = hub
    _kept(connection)
    kept = ReadyCounts.objects.get()
    # The days are out of date (as when a writer moves them on while the page reads).
    CohortMilestones.objects.filter(cohort=cohort).update(version=10_000)
    keys = ReadyKeys(connection, connection_cohorts(connection), today=NOW.date())
    ready_counts_kept(keys)

    assert keys.counts() == (3, 3)
    assert ReadyCounts.objects.get().label == kept.label  # not replaced by these
    assert len(keys.page(*WHOLE_PAGE)) == 3
    assert not ReadyPage.objects.exists()  # nor is a page read with them kept


def test_the_sent_and_refused_counts_are_kept_until_a_declaration_changes(hub):
    connection, fake, cohort, link, ada, ben, cy = hub
    assert sent_counts(connection) == {"sent": 0, "refused": 0}
    held = _live(connection, ada)
    assert sent_counts(connection) == {"sent": 1, "refused": 0}

    with CaptureQueriesContext(db_connection) as captured:
        assert sent_counts(connection) == {"sent": 1, "refused": 0}
    # The version with the counts kept at it, in one query: not counted.
    assert len(captured.captured_queries) == 1

    held.state = Declaration.State.REFUSED
    held.save()
    assert sent_counts(connection) == {"sent": 0, "refused": 1}
    _live(connection, ben, state="paid")
    assert sent_counts(connection) == {"sent": 1, "refused": 1}
    held.delete()
    assert sent_counts(connection) == {"sent": 1, "refused": 0}


# ---- Races (PostgreSQL): a change committed while the counts are counted is never lost ----


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_counting_has_them_counted_again(hub, monkeypatch):
    if db_connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL.")
    connection, fake, cohort, link, ada, *_ = hub
    counted, written = threading.Event(), threading.Event()
    real = ReadyKeys.listed_counts

    def count_then_pause(self):
        found = real(self)
        counted.set()
        written.wait(timeout=5)  # the change commits before these are kept
        return found

    monkeypatch.setattr(ReadyKeys, "listed_counts", count_then_pause)

    seen = []

    def read():
        seen.append(_kept(connection).counts())

    def write():
        counted.wait(timeout=10)
        _live(connection, ada)
        written.set()

    run_together(read=read, write=write)
    monkeypatch.undo()

    assert seen == [(3, 3)]  # what was there when counted
    assert _kept(connection).counts() == (2, 2)
    _agrees_with_a_fresh_count(connection)


@pytest.mark.django_db(transaction=True)
def test_counts_kept_while_a_change_is_being_written_are_counted_again_after_it(hub):
    if db_connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL.")
    connection, fake, cohort, link, ada, *_ = hub
    written, kept = threading.Event(), threading.Event()

    def write():
        with transaction.atomic():
            _live(connection, ada)
            written.set()  # not committed until the counts are kept
            kept.wait(timeout=10)

    seen = []

    def read():
        written.wait(timeout=10)
        seen.append(_kept(connection).counts())
        kept.set()

    run_together(write=write, read=read)

    assert seen == [(3, 3)]  # the change was not committed yet
    assert _kept(connection).counts() == (2, 2)
    _agrees_with_a_fresh_count(connection)
