"""The database and `disagreements()` agree on where a linked pair differs, kind by kind, and
the reconciliation page's buckets split the linked pairs as `open_disagreements()` would: a
table of the edge cases, then any pairs Hypothesis draws (the same ones every run in CI)."""

import sys
import uuid
from dataclasses import dataclass

import pytest
import time_machine
from django.db import transaction
from django.db.models import BooleanField, Case, Value, When
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import Application
from dfe.models import DfeApplication
from dfe.reconcile import (
    LINKED_RELATED,
    WHITESPACE,
    disagreements,
    linked_rows,
    open_disagreements,
    raw_differences,
    reconciliation_buckets,
)
from funding.models import FundingDecision
from funding.rules import MARKED_FUNDED_BY_POLICY, MARKED_INELIGIBLE_BY_POLICY
from npq_portal.tests.factories import UserFactory
from schools.tests.factories import SchoolFactory

from .reconciling import HEADSHIP, PORTAL_NOW, SENIOR_LEADERSHIP, Hub

pytestmark = pytest.mark.django_db

# The "ci" profile's 100 examples become 40 (each makes rows); `make fuzz` scales them up.
WITH_DATABASE = settings(
    max_examples=int(40 * settings.default.max_examples / 100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
URN = 123456
KINDS = ("funding", "course", "cohort", "school", "status")


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def hub():
    return Hub()


@dataclass(frozen=True)
class Decision:
    funded: bool
    provisional: bool = False
    override: str = ""  # an override status, with a reason


@dataclass(frozen=True)
class Pair:
    """A portal application (in Hub's Senior Leadership 2025 cohort) and DfE's, linked."""

    status: str = Application.Status.ACCEPTED
    dfe_status: str = DfeApplication.Status.ACCEPTED
    decision: Decision | None = None
    eligible: bool = False
    course: str = SENIOR_LEADERSHIP
    cohort_year: int = 2025
    school_urn: int | None = URN  # the portal school's URN; None: no school
    dfe_urn: str = str(URN)
    acknowledged: tuple[tuple[str, bool], ...] = ()  # (kind, as the sides say now)


def _make(hub: Hub, pair: Pair) -> DfeApplication:
    school = None if pair.school_urn is None else SchoolFactory(urn=pair.school_urn)
    application = hub.application(applicant=UserFactory(), status=pair.status, school=school)
    if pair.decision is not None:
        decision = FundingDecision.objects.create(
            subject=f"applications.application:{application.pk}",
            rules="2026",
            facts={},
            status="funded" if pair.decision.funded else "previously_funded",
            funded=pair.decision.funded,
            provisional=pair.decision.provisional,
            override_status=pair.decision.override,
            override_reason="Staff decided." if pair.decision.override else "",
            reason="As the rules say.",
        )
        Application.objects.filter(pk=application.pk).update(funding_decision=decision)
    record = DfeApplication.objects.create(
        connection=hub.connection,
        dfe_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        course_identifier=pair.course,
        cohort_year=pair.cohort_year,
        status=pair.dfe_status,
        eligible_for_funding=pair.eligible,
        school_urn=pair.dfe_urn,
        full_name=f"Person {application.pk}",
        dfe_updated_at=timezone.now(),
        application=application,
    )
    if pair.acknowledged:
        found = {item.kind: item for item in disagreements(_linked(record.pk))}
        record.acknowledged = {
            kind: (
                {"portal": found[kind].portal, "dfe": found[kind].dfe}
                if now and kind in found
                else {"portal": "What the portal said before", "dfe": "What DfE said before"}
            )
            for kind, now in pair.acknowledged
        }
        record.save(update_fields=["acknowledged"])
    return record


def _linked(pk: int) -> DfeApplication:
    return DfeApplication.objects.select_related(*LINKED_RELATED).get(pk=pk)


def _kinds_in_sql(pk: int) -> set[str]:
    flags = (
        DfeApplication.objects.filter(pk=pk)
        .annotate(
            **{
                f"differs_{kind}": Case(
                    When(differs, then=Value(True)), default=False, output_field=BooleanField()
                )
                for kind, differs in raw_differences().items()
            }
        )
        .values(*(f"differs_{kind}" for kind in KINDS))
        .get()
    )
    return {kind for kind in KINDS if flags[f"differs_{kind}"]}


def _kinds_in_python(pk: int) -> set[str]:
    return {found.kind for found in disagreements(_linked(pk))}


FUNDED = Decision(funded=True)
STATUSES = [  # each of the portal's statuses, with DfE's status that agrees with it
    (Application.Status.DRAFT, "pending"),
    (Application.Status.AWAITING_SCHOOL, "pending"),
    (Application.Status.SCHOOL_APPROVED, "pending"),
    (Application.Status.SCHOOL_DECLINED, "rejected"),
    (Application.Status.ACCEPTED, "accepted"),
    (Application.Status.WAITLISTED, "pending"),
    (Application.Status.REJECTED, "rejected"),
    (Application.Status.WITHDRAWN, "rejected"),
]


@pytest.mark.parametrize(
    ("pair", "kinds"),
    [
        (Pair(), set()),
        # Funding: only a decision that is made (not to be confirmed) is compared.
        (Pair(decision=None, eligible=True), set()),
        (Pair(decision=FUNDED, eligible=True), set()),
        (Pair(decision=FUNDED, eligible=False), {"funding"}),
        (Pair(decision=Decision(funded=False), eligible=True), {"funding"}),
        (Pair(decision=Decision(funded=True, provisional=True), eligible=False), set()),
        (Pair(decision=Decision(funded=False, provisional=True), eligible=True), set()),
        # Staff's override stands instead of the rules', and makes the decision, confirmed.
        (
            Pair(decision=Decision(False, True, MARKED_FUNDED_BY_POLICY), eligible=False),
            {"funding"},
        ),
        (Pair(decision=Decision(False, override=MARKED_FUNDED_BY_POLICY), eligible=True), set()),
        (
            Pair(decision=Decision(True, override=MARKED_INELIGIBLE_BY_POLICY), eligible=True),
            {"funding"},
        ),
        (
            Pair(decision=Decision(True, override=MARKED_INELIGIBLE_BY_POLICY), eligible=False),
            set(),
        ),
        (Pair(decision=Decision(True, override="funded"), eligible=True), {"funding"}),
        # Course and cohort.
        (Pair(course=HEADSHIP), {"course"}),
        (Pair(course="npq-unknown-to-the-portal"), {"course"}),
        (Pair(cohort_year=2024), {"cohort"}),
        # School: compared only where both sides have a URN; DfE's with spaces round it is the same.
        (Pair(school_urn=None), set()),
        (Pair(school_urn=None, dfe_urn="999999"), set()),
        (Pair(school_urn=0, dfe_urn="999999"), set()),  # the portal's school has no URN
        (Pair(dfe_urn=""), set()),
        (Pair(dfe_urn="999999"), {"school"}),
        (Pair(dfe_urn=f"0{URN}"), {"school"}),
        (Pair(dfe_urn=f" {URN}\n"), set()),
        (Pair(dfe_urn=f"\u3000{URN}\xa0\t"), set()),  # Unicode's spaces too, as str.strip()
        (Pair(dfe_urn=f"\u200b{URN}"), {"school"}),  # a zero-width space is not a space
        (Pair(dfe_urn=f"{URN} 1"), {"school"}),
        (Pair(dfe_urn="   "), {"school"}),
        # Status: each of the portal's, against each of DfE's.
        *[
            (Pair(status=status, dfe_status=dfe), set() if dfe == agrees else {"status"})
            for status, agrees in STATUSES
            for dfe in DfeApplication.Status.values
        ],
        # All at once.
        (
            Pair(
                status=Application.Status.WITHDRAWN,
                dfe_status="pending",
                decision=FUNDED,
                course=HEADSHIP,
                cohort_year=2026,
                dfe_urn="999999",
            ),
            set(KINDS),
        ),
    ],
)
def test_the_database_finds_the_differences_disagreements_finds(
    hub, pair, kinds, django_assert_num_queries
):
    record = _make(hub, pair)

    assert _kinds_in_python(record.pk) == kinds
    assert _kinds_in_sql(record.pk) == kinds
    # The page's rows, read with only the columns it shows, say the same, and what the page
    # draws of them is all read in their one query (the first run prepares it).
    linked_rows([record.pk])
    with django_assert_num_queries(1):
        (row,) = linked_rows([record.pk])
    with django_assert_num_queries(0):
        _drawn(row)
    assert row.disagreements == disagreements(_linked(record.pk))


def _drawn(row) -> list:
    """What the reconciliation page's linked tabs show of a row."""
    record, application = row.record, row.record.application
    cohort = application.cohort
    return [
        *(record.name_shown, record.email, record.get_status_display(), record.training_status),
        *(record.eligible_for_funding, record.ineligible_for_funding_reason, record.linked_at),
        record.linked_by.get_full_name() if record.linked_by else None,
        *(application.get_absolute_url(), application.get_status_display()),
        application.applicant.get_full_name(),
        *(cohort.programme.name, cohort.academic_year_label, cohort.name),
        *(row.open, row.decision_waiting, row.decision_unsent),
    ]


def test_whitespace_is_what_python_strips():
    assert WHITESPACE == "".join(
        char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace()
    )


# ---- Any pairs --------------------------------------------------------------------------------

decisions = st.one_of(
    st.none(),
    st.builds(
        Decision,
        funded=st.booleans(),
        provisional=st.booleans(),
        override=st.sampled_from(["", MARKED_FUNDED_BY_POLICY, MARKED_INELIGIBLE_BY_POLICY]),
    ),
)
spaces = st.text(alphabet=st.sampled_from(WHITESPACE + "\u200b"), max_size=2)
dfe_urns = st.one_of(
    st.sampled_from(["", str(URN), "999999", f"0{URN}"]),
    st.builds(lambda before, after: before + str(URN) + after, spaces, spaces),
    st.text(st.characters(exclude_characters="\x00"), max_size=8),  # PostgreSQL has no NUL
)
pairs = st.builds(
    Pair,
    status=st.sampled_from(Application.Status.values),
    dfe_status=st.sampled_from(DfeApplication.Status.values),
    decision=decisions,
    eligible=st.booleans(),
    course=st.sampled_from([SENIOR_LEADERSHIP, HEADSHIP]),
    cohort_year=st.sampled_from([2025, 2024]),
    school_urn=st.sampled_from([URN, 0, None]),
    dfe_urn=dfe_urns,
    acknowledged=st.lists(
        st.tuples(st.sampled_from(KINDS), st.booleans()), max_size=3, unique_by=lambda k: k[0]
    ).map(tuple),
)


class _RolledBack(Exception):
    pass


@WITH_DATABASE
@given(drawn=st.lists(pairs, min_size=1, max_size=6))
def test_the_database_and_python_split_any_linked_pairs_alike(hub, drawn):
    try:
        with transaction.atomic():
            records = [_make(hub, pair) for pair in drawn]

            for record in records:
                assert _kinds_in_sql(record.pk) == _kinds_in_python(record.pk), record.school_urn
            buckets = reconciliation_buckets(show="disagreements")
            disagreeing = {
                record.pk for record in records if open_disagreements(_linked(record.pk))
            }
            assert set(buckets.disagreements) == disagreeing
            assert set(buckets.matched) == {record.pk for record in records} - disagreeing
            assert buckets.counts["disagreements"] == len(disagreeing)
            assert buckets.counts["matched"] == len(records) - len(disagreeing)
            raise _RolledBack
    except _RolledBack:
        pass
