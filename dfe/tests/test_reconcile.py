"""Matching DfE's applications to the portal's (by TRN and email, then course and cohort; never
a guess), linking by hand, and the disagreements (funding flagged beside the portal's decision,
never copied over it)."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from applications.models import Application
from dfe.fake import FakeDfe, later
from dfe.models import DfeApplication
from dfe.reconcile import (
    dfe_application_link,
    dfe_application_unlink,
    dfe_disagreement_acknowledge,
    disagreements,
    open_disagreements,
)
from funding.models import FundingDecision
from npq_portal.emails import email_about_key
from npq_portal.tests.factories import StaffUserFactory, UserFactory

from .reconciling import HEADSHIP, PORTAL_NOW, Hub, dfe_add, pull

pytestmark = pytest.mark.django_db

Match = DfeApplication.Match


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def hub():
    return Hub()


def _record(dfe_id) -> DfeApplication:
    return DfeApplication.objects.get(dfe_id=dfe_id)


def test_a_dfe_application_is_linked_by_trn_and_email_then_course_and_cohort(hub):
    person = UserFactory(email="Ada.Lovelace@School.example")
    leadership = hub.application(applicant=person)
    hub.application(applicant=person, cohort=hub.headship_cohort)  # the same person, another NPQ
    fake = FakeDfe()
    dfe_id = dfe_add(fake, leadership, email="ada.lovelace@school.example")

    pull(fake, hub.connection)

    record = _record(dfe_id)
    assert record.application == leadership
    assert (record.linked_by, record.match_problem) == (None, "")
    assert record.linked_at is not None


def test_a_trn_that_differs_is_not_the_same_person(hub):
    application = hub.application(trn="1111111")
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, teacher_reference_number="2222222")

    pull(fake, hub.connection)

    record = _record(dfe_id)
    assert record.application is None
    assert record.match_problem == Match.NONE
    assert record.candidate_ids == [application.pk]  # staff may still link it by hand


def test_a_missing_trn_leaves_the_email_to_decide(hub):
    application = hub.application(trn="")
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, teacher_reference_number="1234567")

    pull(fake, hub.connection)

    assert _record(dfe_id).application == application


def test_the_same_person_for_another_course_is_a_candidate_not_a_match(hub):
    headship = hub.application(cohort=hub.headship_cohort)
    fake = FakeDfe()
    dfe_id = dfe_add(fake, headship, course_identifier="npq-senior-leadership")

    pull(fake, hub.connection)

    record = _record(dfe_id)
    assert record.application is None
    assert (record.match_problem, record.candidate_ids) == (Match.NONE, [headship.pk])


def test_two_portal_applications_that_fit_are_not_guessed_between(hub):
    person = UserFactory(email="ada@example.org")
    other_cohort = hub.cohort_make(hub.leadership, name="Spring start")
    one = hub.application(applicant=person)
    two = hub.application(applicant=person, cohort=other_cohort)
    fake = FakeDfe()
    dfe_id = dfe_add(fake, one)

    pull(fake, hub.connection)

    record = _record(dfe_id)
    assert record.application is None
    assert record.match_problem == Match.AMBIGUOUS
    assert record.candidate_ids == sorted([one.pk, two.pk])


def test_two_dfe_applications_for_one_portal_application_are_not_guessed_between(hub):
    application = hub.application()
    fake = FakeDfe()
    first = dfe_add(fake, application)
    second = dfe_add(fake, application, email=application.applicant.email.upper())

    pull(fake, hub.connection)

    assert {_record(first).match_problem, _record(second).match_problem} == {Match.AMBIGUOUS}
    assert DfeApplication.objects.filter(application__isnull=False).count() == 0

    # Staff link one by hand; the other is then shown as pointing at a taken application.
    dfe_application_link(
        dfe_application=_record(first), application=application, by=StaffUserFactory()
    )
    pull(fake, hub.connection, full=True)

    assert _record(first).application == application
    assert _record(second).application is None
    assert _record(second).match_problem == Match.TAKEN


def test_drafts_and_cohorts_the_connection_does_not_cover_do_not_count(hub):
    draft = hub.application(status=Application.Status.DRAFT)
    elsewhere = hub.application(
        cohort=hub.cohort_make(hub.leadership, year=2024), email="grace@example.org"
    )
    fake = FakeDfe()
    draft_id = dfe_add(fake, draft)
    elsewhere_id = dfe_add(fake, elsewhere, cohort="2025")

    pull(fake, hub.connection)

    assert _record(draft_id).match_problem == Match.NONE
    assert _record(draft_id).candidate_ids == []
    assert _record(elsewhere_id).match_problem == Match.NONE
    assert _record(elsewhere_id).candidate_ids == []


def test_an_existing_link_is_kept_whatever_changes(hub):
    application = hub.application()
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application)
    pull(fake, hub.connection)
    application.applicant.email = "new.address@example.org"
    application.applicant.save()

    pull(fake, hub.connection, full=True)

    assert _record(dfe_id).application == application


def test_staff_unlink_and_the_portal_does_not_link_it_again(hub):
    application = hub.application()
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application)
    pull(fake, hub.connection)
    staff = StaffUserFactory()

    dfe_application_unlink(dfe_application=_record(dfe_id), by=staff)
    pull(fake, hub.connection, full=True)

    record = _record(dfe_id)
    assert record.application is None
    assert (record.match_problem, record.linked_by) == (Match.UNLINKED, staff)
    assert record.candidate_ids == [application.pk]


def test_staff_link_by_hand_and_it_says_who(hub):
    application = hub.application(trn="1111111")
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, teacher_reference_number="2222222")
    pull(fake, hub.connection)
    staff = StaffUserFactory()

    dfe_application_link(dfe_application=_record(dfe_id), application=application, by=staff)

    record = _record(dfe_id)
    assert (record.application, record.linked_by, record.match_problem) == (application, staff, "")


def test_a_portal_application_linked_already_cannot_be_linked_twice(hub):
    application = hub.application()
    fake = FakeDfe()
    linked = dfe_add(fake, application)
    other = dfe_add(fake, application, email="someone.else@example.org")
    pull(fake, hub.connection)

    with pytest.raises(ValidationError, match="unlink it there first"):
        dfe_application_link(
            dfe_application=_record(other), application=application, by=StaffUserFactory()
        )

    assert _record(linked).application == application


def test_a_draft_cannot_be_linked_by_hand(hub):
    draft = hub.application(status=Application.Status.DRAFT)
    fake = FakeDfe()
    dfe_id = dfe_add(fake, draft)
    pull(fake, hub.connection)

    with pytest.raises(ValidationError, match="sent application"):
        dfe_application_link(
            dfe_application=_record(dfe_id), application=draft, by=StaffUserFactory()
        )


def _decide_funding(application, *, funded: bool, status: str) -> FundingDecision:
    decision = FundingDecision.objects.create(
        subject=email_about_key(application),
        rules="2026",
        facts={},
        status=status,
        funded=funded,
        reason="As the rules say.",
    )
    Application.objects.filter(pk=application.pk).update(funding_decision=decision)
    return decision


def _linked(dfe_id) -> DfeApplication:
    return DfeApplication.objects.select_related(
        "application__cohort__programme", "application__school", "application__funding_decision"
    ).get(dfe_id=dfe_id)


def test_dfes_funding_answer_is_flagged_beside_the_portals_and_never_copied_over_it(hub):
    application = hub.application()
    decision = _decide_funding(application, funded=True, status="funded")
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, eligible_for_funding=False)

    pull(fake, hub.connection)

    record = _linked(dfe_id)
    assert record.application == application
    assert record.eligible_for_funding is False
    (found,) = disagreements(record)
    assert (found.kind, found.label) == ("funding", "Funding eligibility")
    assert found.portal == "Funded"
    assert found.dfe == "Not eligible for funding: Workplace not eligible"
    application.refresh_from_db()
    decision.refresh_from_db()
    assert application.funding_decision == decision
    assert (decision.funded, decision.status) == (True, "funded")


def test_an_acknowledged_disagreement_shows_again_when_a_side_changes(hub):
    application = hub.application()
    _decide_funding(application, funded=True, status="funded")
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, eligible_for_funding=False)
    pull(fake, hub.connection)
    staff = StaffUserFactory()

    dfe_disagreement_acknowledge(dfe_application=_record(dfe_id), kind="funding", by=staff)

    assert open_disagreements(_linked(dfe_id)) == []
    assert _record(dfe_id).acknowledged["funding"]["by"] == staff.pk
    _decide_funding(application, funded=False, status="previously_funded")
    fake.applications[dfe_id].update(eligible_for_funding=True)
    later(fake, hours=1)
    pull(fake, hub.connection, full=True)
    (again,) = open_disagreements(_linked(dfe_id))
    assert (again.portal, again.dfe) == (
        "Not funded: Funded before for this NPQ",
        "Eligible for funding",
    )
    with pytest.raises(ValidationError, match="agree on the course"):
        dfe_disagreement_acknowledge(dfe_application=_record(dfe_id), kind="course", by=staff)


def test_course_cohort_school_and_status_disagreements_are_said_in_words(hub):
    application = hub.application(status=Application.Status.ACCEPTED)
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, school_urn="999999")
    pull(fake, hub.connection)
    record = _record(dfe_id)
    other = hub.application(
        cohort=hub.headship_cohort, email="other@example.org", status=Application.Status.ACCEPTED
    )
    dfe_application_unlink(dfe_application=record, by=None)
    dfe_application_link(dfe_application=record, application=other, by=None)

    found = {item.kind: item for item in disagreements(_linked(dfe_id))}

    assert set(found) == {"course", "school", "status"}
    assert (found["course"].portal, found["course"].dfe) == (
        "NPQ in Headship",
        "NPQ in Senior Leadership",
    )
    assert found["school"].dfe == "URN 999999"
    assert (found["status"].portal, found["status"].dfe) == ("Place offered", "Pending")
    assert HEADSHIP not in " ".join(item.portal + item.dfe for item in found.values())


def test_a_cohort_disagreement_names_both_years(hub):
    hub.connection.cohort_years = [2024, 2025]
    hub.connection.save()
    application = hub.application(cohort=hub.cohort_make(hub.leadership, year=2024))
    fake = FakeDfe()
    dfe_id = dfe_add(fake, application, cohort="2025")
    pull(fake, hub.connection)
    dfe_application_link(dfe_application=_record(dfe_id), application=application, by=None)

    (found,) = disagreements(_linked(dfe_id))

    assert found.kind == "cohort"
    assert found.portal.startswith("2024/25, ")
    assert found.dfe == "2025/26"
