"""Funding that says what it knows: decisions that wait for an eligibility list not in yet,
the warnings staff see, and re-deciding when the list comes in."""

import datetime
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from funding.models import FundingDecision
from funding.selectors import funding_list_warnings
from funding.services import funding_decide, funding_decisions_redecide, funding_list_upload
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from schools.models import EligibilityList, EligibilityListsCurrentFrom
from schools.services import eligibility_list_upload, eligibility_lists_current_from_set
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

LPM = {"course_identifier": "npq-leading-primary-mathematics", "work_setting": "a_school"}


def _csv(kind: str, identifiers: list[str]) -> BytesIO:
    column = EligibilityList.IDENTIFIER[kind].split(" or ")[0]
    return BytesIO("\r\n".join([column, *identifiers]).encode())


def _upload(kind: str, identifiers: list[str]) -> EligibilityList:
    return eligibility_list_upload(
        kind=kind, source=_csv(kind, identifiers), file_name="list.csv", by=None
    )


def _decide(urn: int, course: dict = LPM) -> FundingDecision:
    return funding_decide(
        subject=f"applications.application:{urn}",
        facts={**course, "institution": {"urn": str(urn)}},
        rules="2026",
    )


def _admin(client):
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, admin)
    return admin


def test_a_decision_needing_a_list_never_uploaded_is_provisional_naming_it():
    SchoolFactory(urn=100001, establishment_type_code=1)
    _upload("rise", ["100009"])

    decision = _decide(100001)

    assert decision.status == "funding_to_be_confirmed"
    assert decision.provisional and not decision.funded
    assert decision.waiting_on == ["pp50_schools"]
    assert decision.reason.startswith(
        "Your funding will be confirmed by the hub once DfE's PP50 list of schools is in"
    )
    assert "on_pp50_school_list" in decision.facts["institution"]["unknown_lists"]


def test_a_decision_that_needs_no_missing_list_is_final():
    SchoolFactory(urn=100001, establishment_type_code=1)

    decision = _decide(100001, {**LPM, "course_identifier": "npq-headship"})

    assert decision.status == "funded"
    assert not decision.provisional and decision.waiting_on == []


def test_a_list_uploaded_before_the_current_from_date_behaves_like_a_missing_one():
    SchoolFactory(urn=100001, establishment_type_code=1)
    _upload("rise", ["100009"])
    pp50 = _upload("pp50_schools", ["100009"])
    EligibilityList.objects.filter(pk=pp50.pk).update(
        uploaded_at=timezone.now() - datetime.timedelta(days=400)
    )
    assert _decide(100001).status == "ineligible_establishment_not_a_pp50"  # no date set yet

    eligibility_lists_current_from_set(
        current_from=timezone.localdate() - datetime.timedelta(days=30), by=None
    )

    decision = _decide(100001)
    assert decision.status == "funding_to_be_confirmed"
    assert decision.waiting_on == ["pp50_schools"]
    [warning] = [w for w in funding_list_warnings() if w.gap.kind == "pp50_schools"]
    assert "before the date the lists are current from" in warning.gap.problem
    assert warning.waiting == 1


def test_each_missing_list_counts_every_decision_waiting_on_it():
    """Decisions waiting on one list, on two, and final ones: each list's warning counts
    those that wait on it, however the waits are combined."""
    waits = [["pp50_schools"], ["pp50_schools", "rise"], ["rise", "pp50_schools"], ["rise"]]
    for number, waiting_on in enumerate([*waits, ["pp50_schools"]]):
        FundingDecision.objects.create(
            subject=f"applications.application:{number}",
            rules="2026",
            facts={},
            list_versions={},
            status="funding_to_be_confirmed",
            funded=False,
            provisional=True,
            waiting_on=waiting_on,
            reason="Waiting for a list.",
        )
    FundingDecision.objects.create(
        subject="applications.application:99",
        rules="2026",
        facts={},
        list_versions={},
        status="funded",
        funded=True,
        provisional=False,
        waiting_on=[],
        reason="Funded.",
    )

    waiting = {w.gap.kind: w.waiting for w in funding_list_warnings()}

    assert waiting["pp50_schools"] == 4
    assert waiting["rise"] == 3
    assert set(waiting.values()) - {0} == {4, 3}  # no other list is waited on


def test_the_current_from_date_cannot_be_in_the_future():
    with pytest.raises(ValidationError, match="cannot be in the future"):
        eligibility_lists_current_from_set(
            current_from=timezone.localdate() + datetime.timedelta(days=1), by=None
        )

    assert not EligibilityListsCurrentFrom.objects.exists()


def test_uploading_the_list_re_decides_what_waited_for_it_keeping_history():
    for urn in (100001, 100002, 100003):
        SchoolFactory(urn=urn, establishment_type_code=1)
    _upload("rise", ["100009"])
    waiting = [_decide(100001), _decide(100002)]
    final = _decide(100003, {**LPM, "course_identifier": "npq-headship"})
    admin = StaffUserFactory()

    version, counts = funding_list_upload(
        kind="pp50_schools", source=_csv("pp50_schools", ["100001"]), file_name="pp50.csv", by=admin
    )

    assert (counts.redecided, counts.funded, counts.not_funded) == (2, 1, 1)
    assert counts.message == "2 provisional decisions re-decided: 1 now funded, 1 not"
    now_funded, now_refused = (FundingDecision.objects.get(pk=d.pk) for d in waiting)
    assert (now_funded.status, now_funded.funded, now_funded.provisional) == (
        "funded",
        True,
        False,
    )
    assert now_refused.status == "ineligible_establishment_not_a_pp50"
    assert now_refused.list_versions["pp50_schools"] == version.pk
    [history] = now_funded.redecisions.all()
    assert history.from_status == "funding_to_be_confirmed"
    assert history.from_waiting_on == ["pp50_schools"]
    assert history.to_status == "funded"
    assert history.by == admin
    assert "PP50 schools" in history.note
    assert not FundingDecision.objects.get(pk=final.pk).redecisions.exists()


def test_a_decision_waiting_for_two_lists_stays_provisional_until_both_are_in():
    SchoolFactory(urn=100001, establishment_type_code=1)
    decision = _decide(100001)
    assert decision.waiting_on == ["rise", "pp50_schools"]

    _upload("pp50_schools", ["100009"])
    counts = funding_decisions_redecide(kinds=["pp50_schools"])

    decision.refresh_from_db()
    assert counts.message == (
        "1 provisional decision re-decided: 0 now funded, 0 not, 1 still to be confirmed"
    )
    assert decision.provisional and decision.waiting_on == ["rise"]
    assert "RISE list of schools is in" in decision.reason


def test_the_funding_page_warns_naming_each_missing_list_and_what_waits(client):
    SchoolFactory(urn=100001, establishment_type_code=1)
    _upload("rise", ["100009"])
    _decide(100001)
    _admin(client)

    page = client.get(reverse("funding:eligibility-lists")).content.decode()

    assert "Funding waits for eligibility lists" in page
    assert "<strong>PP50 schools (by URN)</strong> has never been uploaded: 1 provisional" in page
    assert "RISE schools (by URN)</strong>" not in page  # uploaded, current


def test_uploading_on_the_funding_page_says_how_many_decisions_changed(client):
    SchoolFactory(urn=100001, establishment_type_code=1)
    _upload("rise", ["100009"])
    _decide(100001)
    _admin(client)

    response = client.post(
        reverse("funding:eligibility-lists"),
        {
            "kind": "pp50_schools",
            "file": SimpleUploadedFile("pp50.csv", b"URN\r\n100001\r\n", "text/csv"),
        },
        follow=True,
    )

    page = response.content.decode()
    assert (
        "PP50 schools (by URN): 1 institutions, now current. "
        "1 provisional decision re-decided: 1 now funded, 0 not." in page
    )
    assert "has never been uploaded: 1 provisional" not in page


def test_staff_set_the_current_from_date_on_the_funding_page(client):
    SchoolFactory(urn=100001, establishment_type_code=1)
    _upload("rise", ["100009"])
    _upload("pp50_schools", ["100009"])
    admin = _admin(client)
    day = timezone.localdate()

    response = client.post(
        reverse("funding:lists-current-from"), {"current_from": day.isoformat()}, follow=True
    )

    assert EligibilityListsCurrentFrom.objects.get().set_by == admin
    page = response.content.decode()
    assert f"Lists uploaded before {day:%d %B %Y} now count as out of date." in page
    refused = client.post(
        reverse("funding:lists-current-from"),
        {"current_from": (day + datetime.timedelta(days=2)).isoformat()},
    )
    assert "cannot be in the future" in refused.content.decode()
    assert EligibilityListsCurrentFrom.objects.count() == 1
