"""The NPQ link: an NPQLPM applicant's Teaching for Mastery question answered from the years the
portal holds (their school's history, imported or from its places, or their own completed
place), still changeable, and staff told whether the answer was evidenced or self-declared."""

import pytest
from django.urls import reverse

from applications.models import Application
from applications.selectors import mastery_evidence
from applications.services import (
    application_accept,
    application_save_answers,
    application_start,
)
from applications.steps import answers_in_words
from applications.tests.factories import ApplicationFactory, team_sign_up
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Enrolment
from participants.services import enrolment_change
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory, work_group_programme
from reports.tests.factories import column, rows_of
from schools.models import SchoolProgrammeYear
from schools.services import programme_year_record
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

LPM = "npq-leading-primary-mathematics"
EVIDENCE_QUESTION = "Teaching for Mastery evidence"


@pytest.fixture
def development():
    return work_group_programme(
        "Lead teacher 1",
        "Lead teacher 2",
        slug="maths-hub-primary-development-work-group",
        short_name="Development Work Group",
    )


@pytest.fixture
def embedding():
    return work_group_programme(
        "Lead teacher 1",
        "Lead teacher 2",
        slug="maths-hub-teaching-for-mastery-embedding",
        short_name="Embedding",
    )


@pytest.fixture
def oakfield():
    return SchoolFactory(urn=140001, name="Oakfield Primary")


@pytest.fixture
def npqlpm_cohort():
    programme = ProgrammeFactory(slug=LPM, course_identifier=LPM, short_name="NPQLPM")
    return CohortFactory(programme=programme, status=Cohort.Status.OPEN)


@pytest.fixture
def teacher(client):
    user = UserFactory()
    sign_in(client, user)
    return user


def _imported(school, programme, year, status=SchoolProgrammeYear.Status.COMPLETED):
    # As the history import leaves a row (staff's CSV upload; its service is schools').
    return SchoolProgrammeYear.objects.create(
        school=school,
        programme=programme,
        academic_year=year,
        status=status,
        source=SchoolProgrammeYear.Source.IMPORTED,
    )


def _team_place(programme, school, year):
    """The school's team accepted into a Work Group of `programme` in `year`: its places."""
    cohort = CohortFactory(programme=programme, academic_year=year, status=Cohort.Status.OPEN)
    application = team_sign_up(cohort=cohort, school=school)
    return application_accept(application=application, by=StaffUserFactory())


def _draft(teacher, cohort, school=None, **answers):
    application = application_start(applicant=teacher, cohort=cohort)
    given = {"works_in_england": "yes", "work_setting": "a_school", "role": "Maths lead"}
    if school is not None:
        given |= {"school_urn": str(school.urn), "school_name": str(school)}
    return application_save_answers(application=application, answers={**given, **answers})


def _step(application, key):
    return reverse("applications:application-step", args=[application.pk, key])


def test_a_completed_year_the_school_imported_is_evidence(development, oakfield):
    _imported(oakfield, development, 2024)

    evidence = mastery_evidence(user=UserFactory(), school=oakfield)

    assert evidence.sentence == "Your school completed Development in 2024/25"
    assert not evidence.personal


def test_a_completed_year_of_the_schools_place_in_the_portal_is_evidence(
    development, embedding, oakfield
):
    _imported(oakfield, development, 2023)
    _team_place(embedding, oakfield, 2024)
    programme_year_record(
        school=oakfield, programme=embedding, academic_year=2024, status="completed"
    )

    evidence = mastery_evidence(user=UserFactory(), school=oakfield)

    assert evidence.sentence == "Your school completed Embedding in 2024/25"  # the latest


def test_years_not_completed_or_in_other_programmes_are_no_evidence(development, oakfield):
    _imported(oakfield, development, 2024, status=SchoolProgrammeYear.Status.NOT_COMPLETED)
    _team_place(development, oakfield, 2025)  # taking part, not completed yet
    _imported(oakfield, work_group_programme(slug="maths-hub-mastering-number"), 2023)

    assert mastery_evidence(user=UserFactory(), school=oakfield) is None
    assert mastery_evidence(user=UserFactory(), school=None) is None


def test_the_applicants_own_completed_place_is_evidence_with_its_school(
    development, embedding, oakfield
):
    _team_place(embedding, oakfield, 2023)
    member = Enrolment.objects.filter(cohort__programme=embedding).first()
    enrolment_change(enrolment=member, to=Enrolment.Status.COMPLETED, by=StaffUserFactory())
    # Their school now is another, with a later year of its own: their own place comes first.
    elsewhere = SchoolFactory(name="Riverside Primary")
    _imported(elsewhere, development, 2024)

    evidence = mastery_evidence(user=member.participant, school=elsewhere)

    assert evidence.sentence == "You completed Embedding in 2023/24 with Oakfield Primary"
    assert evidence.personal


def test_a_place_still_running_or_someone_elses_is_no_evidence(development, oakfield):
    _team_place(development, oakfield, 2024)
    member = Enrolment.objects.filter(cohort__programme=development).first()

    assert mastery_evidence(user=member.participant, school=None) is None
    assert mastery_evidence(user=UserFactory(), school=None) is None


def test_with_evidence_the_question_is_answered_yes_and_says_why(
    client, teacher, npqlpm_cohort, development, oakfield
):
    _imported(oakfield, development, 2024)
    application = _draft(teacher, npqlpm_cohort, oakfield, trn="1234567")

    response = client.get(_step(application, "mastery"))
    posted = client.post(_step(application, "mastery"), {"mastery": "completed_year"})

    page = response.content.decode()
    assert "Your school completed Development in 2024/25" in page
    assert response.context["form"]["mastery"].value() == "completed_year"
    assert posted.status_code == 302
    application.refresh_from_db()
    assert application.answers["mastery"] == "completed_year"
    assert application.answers["mastery_evidence"] == "Your school completed Development in 2024/25"


def test_changing_the_answer_away_from_yes_makes_it_self_declared(
    client, teacher, npqlpm_cohort, development, oakfield
):
    _imported(oakfield, development, 2024)
    application = _draft(teacher, npqlpm_cohort, oakfield, trn="1234567")
    client.post(_step(application, "mastery"), {"mastery": "completed_year"})

    client.post(
        _step(application, "mastery"),
        {"mastery": "other_way", "mastery_how": "I led our trust's mastery network."},
    )
    again = client.get(_step(application, "mastery"))

    application.refresh_from_db()
    assert application.answers["mastery"] == "other_way"
    assert application.answers["mastery_evidence"] == ""
    assert again.context["form"]["mastery"].value() == "other_way"  # their answer stands
    assert "So we have chosen" not in again.content.decode()


def test_without_evidence_nothing_is_chosen_and_yes_is_self_declared(
    client, teacher, npqlpm_cohort, development, oakfield
):
    application = _draft(teacher, npqlpm_cohort, oakfield, trn="1234567")

    response = client.get(_step(application, "mastery"))
    client.post(_step(application, "mastery"), {"mastery": "completed_year"})

    assert response.context["form"]["mastery"].value() is None
    assert "What our records show" not in response.content.decode()
    application.refresh_from_db()
    assert application.answers["mastery_evidence"] == ""
    assert (EVIDENCE_QUESTION, "Self-declared") in [
        (a.question, a.answer)
        for a in answers_in_words(application.answers, npqlpm_cohort.programme)
    ]


def test_evidence_cannot_be_posted_by_the_applicant(client, teacher, npqlpm_cohort, oakfield):
    application = _draft(teacher, npqlpm_cohort, oakfield, trn="1234567")

    client.post(
        _step(application, "mastery"),
        {"mastery": "completed_year", "mastery_evidence": "Your school completed Sustaining"},
    )

    application.refresh_from_db()
    assert application.answers["mastery_evidence"] == ""


def test_the_check_page_shows_the_evidence_beside_the_answer(
    client, teacher, npqlpm_cohort, development, oakfield
):
    _imported(oakfield, development, 2024)
    application = _draft(
        teacher,
        npqlpm_cohort,
        oakfield,
        trn="1234567",
        headteacher_name="Helen Whitfield",
        headteacher_email="head@oakfield.example",
        payment="school",
    )
    client.post(_step(application, "mastery"), {"mastery": "completed_year"})

    page = client.get(reverse("applications:application-check", args=[application.pk]))

    rows = [(row["question"], row["answer"]) for row in page.context["rows"]]
    mastery = rows.index(
        (
            "Have you taken part in Teaching for Mastery?",
            "Yes: I have completed at least one year of the programme",
        )
    )
    assert rows[mastery + 1] == (
        EVIDENCE_QUESTION,
        "Evidenced: Your school completed Development in 2024/25",
    )


def _sent(**answers) -> Application:
    programme = Programme.objects.filter(course_identifier=LPM).first() or ProgrammeFactory(
        course_identifier=LPM
    )
    return ApplicationFactory(
        cohort=CohortFactory(programme=programme),
        status=Application.Status.SCHOOL_APPROVED,
        submitted_at="2026-11-01T10:00Z",
        answers={"works_in_england": "yes", "work_setting": "a_school", "role": "Maths lead"}
        | answers,
    )


def test_staff_see_whether_the_answer_was_evidenced_or_self_declared(client):
    evidenced = _sent(
        mastery="completed_year",
        mastery_evidence="You completed Embedding in 2023/24 with Oakfield Primary",
    )
    declared = _sent(mastery="completed_year")
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    evidenced_page = client.get(evidenced.get_absolute_url()).content.decode()
    declared_page = client.get(declared.get_absolute_url()).content.decode()

    assert "Evidenced: You completed Embedding in 2023/24 with Oakfield Primary" in evidenced_page
    assert "Self-declared" not in evidenced_page
    assert EVIDENCE_QUESTION in declared_page and "Self-declared" in declared_page


def test_the_export_has_the_evidence_in_words_and_other_npqs_leave_it_blank(client):
    _sent(
        mastery="completed_year",
        mastery_evidence="Your school completed Development in 2024/25",
    )
    _sent(mastery="other_way", mastery_how="I led our trust's mastery network.")
    ApplicationFactory(
        cohort=CohortFactory(programme=ProgrammeFactory(course_identifier="npq-headship")),
        status=Application.Status.SCHOOL_APPROVED,
        submitted_at="2026-11-02T10:00Z",
        answers={"works_in_england": "yes"},
    )
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(reverse("reports:export-create", args=["applications", "csv"]))

    assert column(rows_of(response, "csv"), EVIDENCE_QUESTION) == [
        "Evidenced: Your school completed Development in 2024/25",
        "Self-declared",
        "",
    ]
