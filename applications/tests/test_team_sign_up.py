"""A school signs up its team for a Work Group: the pages, sending (and every refusal), the
head's commitment on the approval page, and the applicant's start page."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.links import approval_token
from applications.models import Application, TeamMember
from applications.services import (
    application_save_answers,
    application_school_decide,
    application_start,
    application_submit,
    team_sign_up_start,
    team_slot_fill,
)
from applications.tests.factories import TeamMemberFactory, team_sign_up
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import UserFactory, sign_in
from participants.tests.factories import EnrolmentFactory
from programmes.models import Prerequisite, RoleSlot
from programmes.tests.factories import ProgrammeFactory, RoleSlotFactory, work_group_programme
from schools.models import SchoolLeadership
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

COMMITMENT = "Releasing the three lead teachers for six sessions and daily Mastering Number time."


@pytest.fixture
def cohort():
    programme = work_group_programme(
        name="Mastering Number", short_name="Mastering Number", commitment=COMMITMENT
    )
    return CohortFactory(programme=programme, status=Cohort.Status.OPEN, name="Chester 2026")


@pytest.fixture
def school():
    return SchoolFactory(urn=123456, name="Oakfield Primary School")


@pytest.fixture
def maths_lead(client):
    user = UserFactory(first_name="Mia", last_name="Patel", email="mia@oakfield.example")
    sign_in(client, user)
    return user


def _step(application, key):
    return reverse("applications:sign-up-step", args=[application.pk, key])


def _slots(cohort):
    return list(cohort.programme.role_slots.all())


def _person(n):
    return {"first_name": f"Teacher{n}", "last_name": "Lead", "email": f"t{n}@oakfield.example"}


def _answered(applicant, cohort, school=None, **answers):
    """A draft sign-up with every question answered and a person in every slot."""
    application = team_sign_up_start(applicant=applicant, cohort=cohort)
    application_save_answers(
        application=application,
        answers={
            "school_urn": str(school.urn),
            "school_name": f"{school.name} ({school.urn})",
            "applicant_role": "maths_lead",
            "headteacher_name": "Helen Whitfield",
            "headteacher_email": "head@oakfield.example",
            **answers,
        },
    )
    for n, slot in enumerate(_slots(cohort)):
        team_slot_fill(application=application, slot=slot, people=[_person(n)])
    application.refresh_from_db()
    return application


# ---- Starting: a team cohort is signed up for, an individual one applied for ----


def test_a_work_groups_page_offers_sign_up_not_apply(client, cohort):
    page = client.get(cohort.programme.get_absolute_url()).content.decode()

    assert reverse("applications:sign-up", args=[cohort.pk]) in page
    assert "Sign up your school" in page
    assert reverse("applications:apply", args=[cohort.pk]) not in page


def test_an_individual_apply_is_refused_for_a_team_cohort(client, maths_lead, cohort):
    with pytest.raises(ValidationError, match="Schools sign up for Mastering Number as a team"):
        application_start(applicant=maths_lead, cohort=cohort)

    response = client.post(reverse("applications:apply", args=[cohort.pk]))
    apply_page = client.get(reverse("applications:apply", args=[cohort.pk]))

    assert not Application.objects.exists()
    assert response.url == cohort.programme.get_absolute_url()
    assert apply_page.url == reverse("applications:sign-up", args=[cohort.pk])


def test_a_team_sign_up_is_refused_for_an_individual_cohort(client, maths_lead):
    npq = CohortFactory(programme=ProgrammeFactory(name="NPQ in Headship"), status="open")

    with pytest.raises(ValidationError, match="Teachers apply for NPQ in Headship one by one"):
        team_sign_up_start(applicant=maths_lead, cohort=npq)

    response = client.post(reverse("applications:sign-up", args=[npq.pk]))

    assert not Application.objects.exists()
    assert response.url == npq.programme.get_absolute_url()
    assert client.get(reverse("applications:sign-up", args=[npq.pk])).url == reverse(
        "applications:apply", args=[npq.pk]
    )


def test_a_teams_draft_is_not_found_on_a_teachers_question_pages(client, maths_lead, cohort):
    application = team_sign_up_start(applicant=maths_lead, cohort=cohort)

    step = client.get(reverse("applications:application-step", args=[application.pk, "england"]))
    check = client.get(reverse("applications:application-check", args=[application.pk]))

    assert (step.status_code, check.status_code) == (404, 404)


# ---- The pages, one question each ----


def test_the_sign_up_through_every_page_keeps_the_draft_and_sends_it(
    client, maths_lead, cohort, school, mailoutbox, django_capture_on_commit_callbacks
):
    reception, year_1, year_2 = _slots(cohort)
    start = client.get(reverse("applications:sign-up", args=[cohort.pk]))
    response = client.post(reverse("applications:sign-up", args=[cohort.pk]))
    application = Application.objects.get()
    assert start.status_code == 200 and "Year 1 lead teacher" in start.content.decode()
    assert (application.team, application.status) == (True, Application.Status.DRAFT)
    assert response.url == _step(application, "school")

    school_page = client.get(response.url).content.decode()
    response = client.post(_step(application, "school"), {"school": "123456"})
    assert "Which school are you signing up?" in school_page
    assert response.url == _step(application, "your-role")
    response = client.post(response.url, {"applicant_role": "maths_lead"})
    assert response.url == _step(application, f"slot-{reception.pk}")

    slot_page = client.get(response.url).content.decode()
    assert "Who is your Reception lead teacher?" in slot_page
    assert "No one in this role" in slot_page
    response = client.post(
        response.url,
        {"p1_first_name": "Rhian", "p1_last_name": "Jones", "p1_email": "Rhian@Oakfield.example"},
    )
    assert response.url == _step(application, f"slot-{year_1.pk}")
    response = client.post(
        response.url,
        {"p1_first_name": "Sam", "p1_last_name": "Okafor", "p1_email": "sam@oakfield.example"},
    )
    response = client.post(
        response.url,
        {"p1_first_name": "Ana", "p1_last_name": "Silva", "p1_email": "ana@oakfield.example"},
    )
    assert response.url == _step(application, "headteacher")

    # Save and return: starting again carries on where they left off.
    assert client.post(reverse("applications:sign-up", args=[cohort.pk])).url == response.url
    response = client.post(
        response.url,
        {"headteacher_name": "Helen Whitfield", "headteacher_email": "head@oakfield.example"},
    )
    assert response.url == reverse("applications:sign-up-check", args=[application.pk])

    application.refresh_from_db()
    assert application.answers["school_urn"] == "123456"
    assert application.answers["applicant_role"] == "maths_lead"
    assert [
        (member.slot.label, member.first_name, member.email)
        for member in application.team_members.all()
    ] == [
        ("Reception lead teacher", "Rhian", "rhian@oakfield.example"),
        ("Year 1 lead teacher", "Sam", "sam@oakfield.example"),
        ("Year 2 lead teacher", "Ana", "ana@oakfield.example"),
    ]

    check = client.get(response.url)
    page = check.content.decode()
    questions = [row["question"] for row in check.context["rows"]]
    assert questions == [
        "Which school are you signing up?",
        "What is your role at the school?",
        "Reception lead teacher",
        "Year 1 lead teacher",
        "Year 2 lead teacher",
        "The headteacher's name",
        "The headteacher's email address",
    ]
    assert "Maths lead" in page and "Oakfield Primary School (123456)" in page
    assert "Sam Okafor (sam@oakfield.example)" in page
    assert _step(application, f"slot-{year_1.pk}") + "?change=1" in page

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("applications:sign-up-check", args=[application.pk]))

    application.refresh_from_db()
    assert sent.url == application.get_absolute_url()
    assert application.status == Application.Status.AWAITING_SCHOOL
    assert (application.school, application.approver_email, application.trn) == (
        school,
        "head@oakfield.example",
        "",
    )
    assert application.funding_decision is None
    request = next(m for m in mailoutbox if m.to == ["head@oakfield.example"])
    assert "Oakfield Primary School's Work Group sign-up for Mastering Number" in request.subject
    assert "This is a school's sign-up" in request.body
    assert "Year 1 lead teacher: Sam Okafor" in request.body
    received = next(m for m in mailoutbox if m.to == [maths_lead.email])
    assert "school's sign-up" in received.subject


def test_no_one_in_a_role_reads_so_on_the_check_page(client, maths_lead, cohort, school):
    application = _answered(maths_lead, cohort, school)
    client.post(_step(application, f"slot-{_slots(cohort)[2].pk}"), {"no_one": "on"})

    check = client.get(reverse("applications:sign-up-check", args=[application.pk]))

    row = next(row for row in check.context["rows"] if row["question"] == "Year 2 lead teacher")
    assert (row["people"], row["answer"]) == ([], "No one in this role")
    assert application.team_members.count() == 2


def test_a_change_link_returns_to_the_check_page(client, maths_lead, cohort, school):
    application = _answered(maths_lead, cohort, school)
    year_1 = _slots(cohort)[1]

    page = client.get(_step(application, f"slot-{year_1.pk}") + "?change=1")
    response = client.post(
        _step(application, f"slot-{year_1.pk}") + "?change=1",
        {"p1_first_name": "Priya", "p1_last_name": "Shah", "p1_email": "priya@oakfield.example"},
    )

    assert page.context["form"].initial["p1_first_name"] == "Teacher1"
    assert response.url == reverse("applications:sign-up-check", args=[application.pk])
    assert application.team_members.get(slot=year_1).first_name == "Priya"
    assert application.team_members.count() == 3


def test_a_slot_can_be_left_empty_with_no_one_in_it_unless_it_is_required(
    client, maths_lead, cohort
):
    reception = _slots(cohort)[0]
    head_slot = RoleSlotFactory(
        programme=cohort.programme, position=9, label="Headteacher", required=True
    )
    application = team_sign_up_start(applicant=maths_lead, cohort=cohort)

    nothing = client.post(_step(application, f"slot-{reception.pk}"), {})
    no_one = client.post(_step(application, f"slot-{reception.pk}"), {"no_one": "on"})
    required_page = client.get(_step(application, f"slot-{head_slot.pk}"))
    required = client.post(_step(application, f"slot-{head_slot.pk}"), {"no_one": "on"})

    assert "Name someone for this role, or tick" in nothing.content.decode()
    assert no_one.status_code == 302
    application.refresh_from_db()
    assert application.answers[f"slot_{reception.pk}"] == "none"
    assert "no_one" not in required_page.context["form"].fields
    assert "Name someone for this role." in required.content.decode()
    assert not application.team_members.exists()


def _prefixed(person, row=1):
    return {f"p{row}_{key}": value for key, value in person.items()}


def test_a_wider_staff_slot_takes_several_people_on_its_page(client, maths_lead, cohort):
    wider = RoleSlotFactory(
        programme=cohort.programme,
        position=5,
        label="Wider staff",
        kind=RoleSlot.Kind.SUPPORTING,
        people=3,
        hint="Teachers who join some of the sessions.",
    )
    application = team_sign_up_start(applicant=maths_lead, cohort=cohort)

    page = client.get(_step(application, f"slot-{wider.pk}")).content.decode()
    response = client.post(
        _step(application, f"slot-{wider.pk}"),
        _prefixed(_person(1), 1) | _prefixed(_person(3), 3),
    )
    half = client.post(
        _step(application, f"slot-{wider.pk}"), {"p2_first_name": "Only", "p2_email": ""}
    )

    assert "Teachers who join some of the sessions." in page
    assert "Person 3" in page and "Wider staff (up to 3 people)?" in page
    assert response.status_code == 302
    assert list(application.team_members.values_list("email", flat=True)) == [
        "t1@oakfield.example",
        "t3@oakfield.example",
    ]
    assert "Give their first name, last name and email address." in half.content.decode()


def test_the_same_person_cannot_be_named_in_two_roles(client, maths_lead, cohort):
    reception, year_1, _ = _slots(cohort)
    application = team_sign_up_start(applicant=maths_lead, cohort=cohort)
    client.post(_step(application, f"slot-{reception.pk}"), _prefixed(_person(1)))

    response = client.post(_step(application, f"slot-{year_1.pk}"), _prefixed(_person(1)))

    assert "t1@oakfield.example is already named as Reception lead teacher" in (
        response.content.decode()
    )
    assert application.team_members.count() == 1


def test_a_head_signing_up_confirms_their_own_name_and_may_approve_it(
    client, cohort, school, mailoutbox, django_capture_on_commit_callbacks
):
    head = UserFactory(first_name="Helen", last_name="Whitfield", email="helen@oakfield.example")
    SchoolLeadership.objects.create(user=head, school=school)  # confirmed by the hub
    sign_in(client, head)
    application = _answered(head, cohort, school, applicant_role="headteacher", headteacher_name="")
    application.answers.pop("headteacher_name")
    application.answers.pop("headteacher_email")
    application.save()

    page = client.get(_step(application, "headteacher"))
    client.post(
        _step(application, "headteacher"),
        {"headteacher_name": "Helen Whitfield", "headteacher_email": "helen@oakfield.example"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:sign-up-check", args=[application.pk]))

    assert page.context["form"].initial["headteacher_email"] == "helen@oakfield.example"
    assert "You said you are the headteacher" in page.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_SCHOOL
    assert any(m.to == ["helen@oakfield.example"] for m in mailoutbox)


def test_readiness_asks_which_barrier_and_says_it_in_words(client, maths_lead, school):
    readiness = work_group_programme(
        "Maths lead", "Second teacher", slug="maths-hub-primary-mastery-readiness"
    )
    cohort = CohortFactory(programme=readiness, status=Cohort.Status.OPEN)
    application = _answered(maths_lead, cohort, school)
    assert client.get(reverse("applications:sign-up-check", args=[application.pk])).url == (
        _step(application, "barrier")
    )

    page = client.get(_step(application, "barrier")).content.decode()
    client.post(_step(application, "barrier"), {"barrier": "social_mobility"})
    check = client.get(reverse("applications:sign-up-check", args=[application.pk]))

    assert "Which barrier does your school face?" in page
    assert "Ofsted judged the school Requires Improvement or Inadequate" in page
    assert "The school is in an area of low social mobility" in check.content.decode()


# ---- Sending: every refusal, nothing changed ----


def _refused(application, match):
    with pytest.raises(ValidationError, match=match):
        application_submit(application=application, by=application.applicant)
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
    assert application.school is None
    assert not application.events.exists()


def test_sending_refuses_a_required_role_left_empty(cohort, school):
    RoleSlotFactory(programme=cohort.programme, position=9, label="Maths lead", required=True)
    application = _answered(UserFactory(), cohort, school)
    application.team_members.filter(slot__label="Maths lead").delete()

    _refused(application, "Name your Maths lead: the school cannot sign up without one.")


def test_sending_refuses_too_few_lead_participants(cohort, school):
    cohort.programme.team_leads_min = 3
    cohort.programme.save()
    application = _answered(UserFactory(), cohort, school)
    team_slot_fill(application=application, slot=_slots(cohort)[2], people=[])

    _refused(application, r"Name at least 3 lead participants .*: the sign-up names 2\.")


def test_sending_refuses_the_same_email_named_twice(cohort, school):
    application = _answered(UserFactory(), cohort, school)
    TeamMember.objects.filter(slot=_slots(cohort)[1]).update(email="T0@Oakfield.example")

    _refused(application, "t0@oakfield.example is named more than once")


def test_sending_refuses_a_school_that_already_signed_up_for_the_cohort(cohort, school):
    team_sign_up(cohort=cohort, school=school, status=Application.Status.AWAITING_SCHOOL)
    application = _answered(UserFactory(), cohort, school)

    _refused(application, "Oakfield Primary School has already signed up for this Work Group.")


def test_sending_refuses_a_school_whose_history_does_not_allow_it(cohort, school):
    development = ProgrammeFactory(short_name="Development")
    rule = Prerequisite.objects.create(
        programme=cohort.programme, kind=Prerequisite.Kind.COMPLETED_ANY
    )
    rule.programmes.add(development)
    application = _answered(UserFactory(), cohort, school)

    _refused(application, "needs Development first.* ask the hub")


def test_sending_refuses_the_maths_leads_own_address_as_the_heads(cohort, school):
    lead = UserFactory(email="mia@oakfield.example")
    application = _answered(lead, cohort, school, headteacher_email="mia@oakfield.example")

    _refused(application, "Give your headteacher's email address, not your own.")


def test_a_refusal_on_the_check_page_is_said_and_the_draft_kept(client, maths_lead, cohort, school):
    team_sign_up(cohort=cohort, school=school, status=Application.Status.AWAITING_SCHOOL)
    application = _answered(maths_lead, cohort, school)

    response = client.post(
        reverse("applications:sign-up-check", args=[application.pk]), follow=True
    )

    assert "has already signed up for this Work Group" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


# ---- The head's commitment ----


@pytest.fixture
def sent(cohort, school):
    SessionFactory(cohort=cohort, title="Mastering Number: the first local session")
    application = _answered(UserFactory(first_name="Mia"), cohort, school)
    return application_submit(application=application, by=application.applicant)


def test_the_approval_page_shows_the_school_team_sessions_and_commitment(client, sent):
    page = client.get(reverse("applications:school-approval", args=[approval_token(sent)]))
    html = page.content.decode()

    assert "Approve Oakfield Primary School's sign-up for Mastering Number" in html
    assert "Year 2 lead teacher" in html and "t2@oakfield.example" in html
    assert "Mastering Number: the first local session" in html
    assert COMMITMENT in html
    assert "I commit Oakfield Primary School to what the Work Group asks of it" in html
    assert '<th scope="col">Role</th>' in html


def test_approving_needs_the_commitment_and_records_it(
    client, sent, mailoutbox, django_capture_on_commit_callbacks
):
    link = reverse("applications:school-approval", args=[approval_token(sent)])
    decision = {"decision": "approve", "name": "Helen Whitfield", "comment": ""}

    without = client.post(link, decision)
    sent.refresh_from_db()
    assert sent.status == Application.Status.AWAITING_SCHOOL
    assert "Tick this to approve: it commits the school." in without.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, decision | {"commits_school": "on"})

    sent.refresh_from_db()
    told = mailoutbox[-1]
    assert told.subject.endswith("approved the school's Work Group sign-up")
    assert "The school is committed to the Work Group." in told.body
    assert sent.status == Application.Status.SCHOOL_APPROVED
    event = sent.events.last()
    assert event.by_name == "Helen Whitfield"
    assert event.reason == f"Committed Oakfield Primary School to: {COMMITMENT}"


def test_the_service_refuses_an_approval_without_the_commitment(sent):
    with pytest.raises(ValidationError, match="commit the school"):
        application_school_decide(
            application=sent, approve=True, name="Helen Whitfield", email="head@oakfield.example"
        )

    sent.refresh_from_db()
    assert sent.status == Application.Status.AWAITING_SCHOOL


def test_declining_needs_no_commitment(client, sent):
    link = reverse("applications:school-approval", args=[approval_token(sent)])

    client.post(link, {"decision": "decline", "name": "Helen Whitfield", "comment": "Not now."})

    sent.refresh_from_db()
    assert sent.status == Application.Status.SCHOOL_DECLINED


def test_a_signed_in_school_leader_commits_the_school_on_their_own_page(client, sent, school):
    leader = UserFactory(roles=[Role.SCHOOL_LEADER], first_name="Helen", last_name="Whitfield")
    SchoolLeadership.objects.create(user=leader, school=school)
    sign_in(client, leader)
    page = reverse("applications:school-leader-approval", args=[sent.pk])

    shown = client.get(page).content.decode()
    client.post(page, {"decision": "approve", "name": "Helen Whitfield", "commits_school": "on"})

    assert COMMITMENT in shown
    sent.refresh_from_db()
    assert sent.status == Application.Status.SCHOOL_APPROVED
    assert sent.events.last().by == leader


# ---- The applicant's start page ----


def _queries_for(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    return len(queries), page


def test_the_start_page_shows_the_schools_sign_up_its_status_and_team(
    client, maths_lead, cohort, school
):
    application = _answered(maths_lead, cohort, school)
    application_submit(application=application, by=maths_lead)
    home = reverse("participants:teacher-home")
    # Warmed first: on PostgreSQL a connection's first use of a fixed query prepares it.
    client.get(home)
    one, _ = _queries_for(client, home)
    for n in range(3):  # more sign-ups, each with its team: no query more
        other = CohortFactory(programme=cohort.programme, status=Cohort.Status.OPEN)
        sign_up = team_sign_up(cohort=other, applicant=maths_lead, status="awaiting_school")
        TeamMemberFactory(application=sign_up, slot=_slots(cohort)[0], first_name=f"Extra{n}")

    four, page = _queries_for(client, home)

    assert four == one

    assert "Your school's Work Group sign-up: Oakfield Primary School" in page
    assert "Waiting for school approval" in page
    assert re.search(r"Team: Reception lead teacher, Teacher0 Lead; Year 1 lead teacher", page)


def test_saying_you_are_the_head_does_not_let_you_approve_your_own_sign_up(cohort, school):
    """Only a school leader the hub confirmed approves their own school's sign-up."""
    someone = UserFactory(email="someone@oakfield.example")
    application = _answered(
        someone,
        cohort,
        school,
        applicant_role="headteacher",
        headteacher_email="someone@oakfield.example",
    )

    _refused(application, "Give your headteacher's email address, not your own.")


def test_sending_refuses_someone_who_already_holds_a_place_in_the_work_group(cohort, school):
    holder = UserFactory(email="t1@oakfield.example")
    EnrolmentFactory(participant=holder, cohort=cohort, status="deferred")
    application = _answered(UserFactory(), cohort, school)

    _refused(application, r"Teacher1 Lead \(t1@oakfield.example\) already has a place")
