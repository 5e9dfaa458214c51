"""Funding tells the apps to its right when a decision may now fund its subject differently."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError

from funding.models import FundingDecision
from funding.services import funding_decide, funding_decision_override, funding_list_upload
from funding.signals import funding_decision_changed
from npq_portal.tests.factories import UserFactory
from schools.services import eligibility_list_upload
from schools.tests.factories import SchoolFactory

from .test_funding_check import SCHOOL_FACTS

pytestmark = pytest.mark.django_db

LPM = {"course_identifier": "npq-leading-primary-mathematics", "work_setting": "a_school"}


@pytest.fixture
def heard():
    """What funding_decision_changed said: (decision id, effective funded, by)."""
    said = []

    def receive(sender, decision, by, **kwargs):
        said.append((decision.pk, decision.effective_funded, by))

    funding_decision_changed.connect(receive, dispatch_uid="test.funding_decision_changed")
    yield said
    funding_decision_changed.disconnect(dispatch_uid="test.funding_decision_changed")


def test_an_override_is_announced_with_who_made_it(heard):
    decision = funding_decide(subject="x", facts=SCHOOL_FACTS, rules="2026")
    admin = UserFactory()

    funding_decision_override(decision=decision, funded=False, reason="Trust pays", by=admin)

    assert heard == [(decision.pk, False, admin)]


def test_the_override_is_announced_inside_its_transaction_so_a_failing_receiver_undoes_it():
    decision = funding_decide(subject="x", facts=SCHOOL_FACTS, rules="2026")

    def fail(sender, **kwargs):
        raise RuntimeError("the receiver could not record it")

    funding_decision_changed.connect(fail, dispatch_uid="test.failing_receiver")
    try:
        with pytest.raises(RuntimeError, match="could not record it"):
            funding_decision_override(
                decision=decision, funded=False, reason="Trust pays", by=UserFactory()
            )
    finally:
        funding_decision_changed.disconnect(dispatch_uid="test.failing_receiver")

    decision.refresh_from_db()
    assert decision.override_status == ""
    assert not decision.overrides.exists()


def test_an_override_refused_for_want_of_a_reason_is_not_announced(heard):
    decision = funding_decide(subject="x", facts=SCHOOL_FACTS, rules="2026")

    with pytest.raises(ValidationError, match="Say why"):
        funding_decision_override(decision=decision, funded=False, reason=" ", by=UserFactory())

    assert heard == []


def test_each_decision_re_decided_when_its_list_comes_in_is_announced(heard):
    for urn in (100001, 100002):
        SchoolFactory(urn=urn, establishment_type_code=1)
    eligibility_list_upload(
        kind="rise", source=BytesIO(b"URN\r\n100009"), file_name="rise.csv", by=None
    )
    waiting = funding_decide(
        subject="a", facts={**LPM, "institution": {"urn": "100001"}}, rules="2026"
    )
    final = funding_decide(
        subject="b",
        facts={**LPM, "course_identifier": "npq-headship", "institution": {"urn": "100002"}},
        rules="2026",
    )
    admin = UserFactory()

    funding_list_upload(
        kind="pp50_schools", source=BytesIO(b"URN\r\n100001"), file_name="pp50.csv", by=admin
    )

    assert heard == [(waiting.pk, True, admin)]
    assert FundingDecision.objects.get(pk=final.pk).redecisions.count() == 0
