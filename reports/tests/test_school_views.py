"""The school leader's pages: My school's participants with their next sessions, and the
termly summary (page and PDF), counted by hand, scoped to the leader's own school."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.models import Session
from cohorts.tests.factories import CohortFactory
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.services import enrolment_change
from participants.tests.factories import EnrolmentFactory
from schools.services import school_leader_confirm
from schools.tests.factories import SchoolFactory

from .helpers import at, finish_phase, module_window, released_outcome, session, take_register

pytestmark = pytest.mark.django_db


def _place(cohort, school, first_name, last_name):
    person = UserFactory(first_name=first_name, last_name=last_name)
    application = ApplicationFactory(
        applicant=person, cohort=cohort, school=school, status=Application.Status.ACCEPTED
    )
    return EnrolmentFactory(participant=person, cohort=cohort, application=application)


@pytest.fixture
def school_term():
    """St Oswald’s, with three places in a cohort running from October 2027, and Olivia from
    another school in the same cohort. Autumn 2027, by hand:

    - Siobhán: registers taken at 5 Oct (present), 9 Nov (absent) and 7 Dec (excused): 1 of 2
      held, 1 excused; 14 Dec has no register and 1 Dec was cancelled, so neither counts.
      Module 1 finished (study 10 Oct, application 18 Nov); Module 3 only studied; Module 2
      finished in January. A pass released on 20 December.
    - Tom: absent, present, present: 2 of 3. Module 1 only studied; Module 3 finished
      (1 and 2 Dec). A fail released on 10 January (spring), and one not yet released.
    - Will: present on 5 Oct, withdrawn on 1 November: 1 of 1, and no module due (both were
      due after he left).
    - Wendy: withdrawn on 20 August, before the term: left out.
    Modules 1 and 3 had their application phase due in the autumn: 2 due for those still there.
    """
    with time_machine.travel(at(2027, 8, 1)):
        school = SchoolFactory(name="St Oswald’s Primary School")
        elsewhere = SchoolFactory(name="Elsewhere Academy")
        cohort = CohortFactory(name="Autumn start, Chester")
        siobhan = _place(cohort, school, "Siobhán", "O’Neill")
        tom = _place(cohort, school, "Tom", "Baker")
        will = _place(cohort, school, "Will", "Leaving")
        wendy = _place(cohort, school, "Wendy", "Early")
        olivia = _place(cohort, elsewhere, "Olivia", "Elsewhere")
    staff = StaffUserFactory()
    with time_machine.travel(at(2027, 8, 20)):
        enrolment_change(enrolment=wendy, to="withdrawn", by=staff, reason="personal")
    sessions = [
        session(cohort, at(2027, 10, 5), title="Conference"),
        session(cohort, at(2027, 11, 9), title="Clinic 1"),
        session(cohort, at(2027, 12, 7), title="Clinic 2"),
        session(cohort, at(2027, 12, 14), title="Clinic 3"),
        session(cohort, at(2027, 12, 1), title="Cancelled clinic", status=Session.Status.CANCELLED),
        session(cohort, at(2028, 1, 18), title="Clinic 4"),
    ]
    take_register(
        sessions[0],
        {siobhan: "present", tom: "absent", will: "present", olivia: "present"},
    )
    with time_machine.travel(at(2027, 11, 1)):
        enrolment_change(enrolment=will, to="withdrawn", by=staff, reason="workload")
    take_register(sessions[1], {siobhan: "absent", tom: "present", olivia: "present"})
    take_register(sessions[2], {siobhan: "excused", tom: "present", olivia: "present"})
    take_register(sessions[5], {siobhan: "present", tom: "absent", olivia: "present"})
    d = datetime.date
    module_1 = module_window(
        cohort, "Module 1", opens_on=d(2027, 10, 1), study_due_on=d(2027, 10, 15),
        application_due_on=d(2027, 11, 20),
    )  # fmt: skip
    module_2 = module_window(
        cohort, "Module 2", opens_on=d(2027, 12, 1), study_due_on=d(2027, 12, 15),
        application_due_on=d(2028, 1, 30),
    )  # fmt: skip
    module_3 = module_window(
        cohort, "Module 3", opens_on=d(2027, 11, 1), study_due_on=d(2027, 11, 15),
        application_due_on=d(2027, 12, 15),
    )  # fmt: skip
    finish_phase(siobhan, module_1, "study", at(2027, 10, 10))
    finish_phase(siobhan, module_1, "application", at(2027, 11, 18))
    finish_phase(siobhan, module_3, "study", at(2027, 11, 10))
    finish_phase(siobhan, module_2, "study", at(2027, 12, 10))
    finish_phase(siobhan, module_2, "application", at(2028, 1, 20))
    finish_phase(tom, module_1, "study", at(2027, 10, 12))
    finish_phase(tom, module_3, "study", at(2027, 12, 1))
    finish_phase(tom, module_3, "application", at(2027, 12, 2))
    finish_phase(olivia, module_1, "study", at(2027, 10, 12))
    finish_phase(olivia, module_1, "application", at(2027, 10, 13))
    released_outcome(siobhan, "passed", at(2027, 12, 20, 9))
    released_outcome(tom, "failed", at(2028, 1, 10, 9))
    released_outcome(tom, "passed", None)
    released_outcome(olivia, "passed", at(2027, 12, 20, 9))
    leader = UserFactory(first_name="Helen", last_name="Whitfield")
    school_leader_confirm(user=leader, school=school, by=staff)
    return leader, cohort, {p.participant.first_name: p for p in (siobhan, tom, will, olivia)}


def _figures(response):
    return {
        row.enrolment.participant.first_name: (
            row.sessions_attended,
            row.sessions_held,
            row.sessions_excused,
            [window.module.title for window in row.modules_completed],
            row.modules_due,
            [outcome.result for outcome in row.outcomes],
        )
        for row in response.context["summary"].rows
    }


@time_machine.travel(at(2028, 2, 1))
def test_the_autumn_summary_matches_the_hand_count(client, school_term):
    leader, _, _ = school_term
    sign_in(client, leader)

    response = client.get(reverse("reports:school-summary"), {"term": "2027-autumn"})

    assert response.status_code == 200
    assert _figures(response) == {
        "Siobhán": (1, 2, 1, ["Module 1"], 2, ["passed"]),
        "Tom": (2, 3, 0, ["Module 3"], 2, []),
        "Will": (1, 1, 0, [], 0, []),
    }
    assert response.context["summary"].totals == {
        "participants": 3,
        "sessions_held": 6,  # 2 + 3 + 1
        "sessions_attended": 4,
        "modules_completed": 2,
        "outcomes": 1,
    }
    page = response.content.decode()
    assert "Siobhán O’Neill" in page
    assert "Olivia" not in page and "Wendy" not in page


@time_machine.travel(at(2028, 2, 1))
def test_the_spring_summary_counts_only_the_spring(client, school_term):
    leader, _, _ = school_term
    sign_in(client, leader)

    response = client.get(reverse("reports:school-summary"), {"term": "2027-spring"})

    # Will withdrew in the autumn, before the spring began: he is left out.
    assert _figures(response) == {
        "Siobhán": (1, 1, 0, ["Module 2"], 1, []),
        "Tom": (0, 1, 0, [], 1, ["failed"]),
    }


@time_machine.travel(at(2027, 11, 15))
def test_the_summary_is_of_the_current_term_unless_another_is_chosen(client, school_term):
    leader, _, _ = school_term
    sign_in(client, leader)

    current = client.get(reverse("reports:school-summary"))
    nonsense = client.get(reverse("reports:school-summary"), {"term": "2027-winter"}, follow=True)

    assert current.context["term"].slug == "2027-autumn"
    assert "Termly summary: Autumn term 2027 (2027/28)" in current.content.decode()
    assert nonsense.context["term"].slug == "2027-autumn"
    assert "There is no “winter” term" in nonsense.content.decode()


@time_machine.travel(at(2028, 2, 1))
def test_the_pdf_is_a_real_pdf_with_the_names_in_it(client, school_term):
    leader, _, _ = school_term
    sign_in(client, leader)

    response = client.get(reverse("reports:school-summary-pdf"), {"term": "2027-autumn"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="termly-summary-2027-autumn.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Siobhán O’Neill" in text
    assert "St Oswald’s Primary School" in text
    assert "1 of 2 (1 excused)" in text
    assert "Olivia" not in text and "Wendy" not in text


@time_machine.travel(at(2028, 2, 1))
def test_a_pdf_that_cannot_be_made_goes_back_to_the_summary_and_logs_no_names(
    client, school_term, monkeypatch, caplog
):
    leader, _, _ = school_term
    sign_in(client, leader)

    def broken(**kwargs):
        raise ValueError("The row for Siobhán O’Neill is too wide for the page")

    monkeypatch.setattr("reports.pdf.termly_summary_pdf", broken)

    response = client.get(
        reverse("reports:school-summary-pdf"), {"term": "2027-autumn"}, follow=True
    )

    assert response.redirect_chain == [
        (reverse("reports:school-summary") + "?term=2027-autumn", 302)
    ]
    assert response.context["term"].slug == "2027-autumn"
    assert "The PDF of this summary could not be made." in response.content.decode()
    assert "Termly summary PDF" in caplog.text and "ValueError" in caplog.text
    assert "Siobhán" not in caplog.text and "O’Neill" not in caplog.text


@time_machine.travel(at(2028, 2, 1))
def test_a_leader_of_two_schools_gets_each_school_under_its_own_heading(client, school_term):
    leader, _, places = school_term
    elsewhere = places["Olivia"].application.school
    school_leader_confirm(user=leader, school=elsewhere, by=StaffUserFactory())
    sign_in(client, leader)

    page = client.get(reverse("reports:school-summary"), {"term": "2027-autumn"})
    pdf = client.get(reverse("reports:school-summary-pdf"), {"term": "2027-autumn"})

    assert set(_figures(page)) == {"Siobhán", "Tom", "Will", "Olivia"}
    assert '<h2 class="h4 mt-4">Elsewhere Academy</h2>' in page.content.decode()
    assert "Olivia Elsewhere" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


@time_machine.travel(at(2028, 2, 1))
def test_another_schools_leader_sees_only_their_own_school(client, school_term):
    _, _, places = school_term
    other_leader = UserFactory()
    school_leader_confirm(
        user=other_leader, school=places["Olivia"].application.school, by=StaffUserFactory()
    )
    sign_in(client, other_leader)

    page = client.get(reverse("reports:school-summary"), {"term": "2027-autumn"})
    pdf = client.get(reverse("reports:school-summary-pdf"), {"term": "2027-autumn"})

    assert set(_figures(page)) == {"Olivia"}
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Olivia Elsewhere" in text and "Siobhán" not in text


@pytest.mark.parametrize("who", ["teacher", "hub administrator", "participant"])
def test_anyone_but_a_school_leader_is_refused(client, school_term, who):
    _, _, places = school_term
    person = {
        "teacher": UserFactory,
        "hub administrator": StaffUserFactory,
        "participant": lambda: places["Siobhán"].participant,
    }[who]()
    sign_in(client, person)

    assert client.get(reverse("reports:school-summary")).status_code == 403
    assert client.get(reverse("reports:school-summary-pdf")).status_code == 403


def test_a_leader_with_no_one_this_term_is_told_so(client):
    leader = UserFactory()
    school_leader_confirm(user=leader, school=SchoolFactory(), by=StaffUserFactory())
    sign_in(client, leader)

    page = client.get(reverse("reports:school-summary")).content.decode()
    pdf = client.get(reverse("reports:school-summary-pdf"))

    assert "No one from your school had a place on a programme this term" in page
    assert "No one from your school" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def _more_places(cohort, school, count):
    for n in range(count):
        with time_machine.travel(at(2027, 8, 1)):
            place = _place(cohort, school, f"Extra{n}", "Person")
        finish_phase(place, cohort.module_windows.first(), "study", at(2027, 10, 14))


@time_machine.travel(at(2028, 2, 1))
def test_the_summary_costs_the_same_queries_however_many_participants(
    client, school_term, django_assert_max_num_queries
):
    leader, cohort, places = school_term
    sign_in(client, leader)
    url = reverse("reports:school-summary")
    client.get(url, {"term": "2027-autumn"})  # warm the session and role caches
    # Session, user, role groups, permissions (2), schools; the places; participation's five;
    # phase dates; outcomes.
    with django_assert_max_num_queries(14):
        few = client.get(url, {"term": "2027-autumn"})
    _more_places(cohort, places["Siobhán"].application.school, 12)

    with django_assert_max_num_queries(14):
        many = client.get(url, {"term": "2027-autumn"})

    assert (len(few.context["summary"].rows), len(many.context["summary"].rows)) == (3, 15)


@time_machine.travel(at(2027, 11, 15))
def test_my_school_shows_each_participants_next_sessions_and_links_the_summary(client, school_term):
    leader, _, _ = school_term
    sign_in(client, leader)

    page = client.get(reverse("participants:school-leader-home")).content.decode()

    assert "Next sessions" in page
    assert "Tue 7 Dec, 16:00</span> Clinic 2" in page  # Europe/London is on GMT in December
    assert "Tue 14 Dec, 16:00</span> Clinic 3" in page
    assert "None scheduled" not in page
    assert reverse("reports:school-summary") in page


@time_machine.travel(at(2027, 11, 15))
def test_my_school_costs_the_same_queries_with_more_participants_and_sessions(
    client, school_term, django_assert_max_num_queries
):
    leader, cohort, places = school_term
    sign_in(client, leader)
    url = reverse("participants:school-leader-home")
    client.get(url)
    with django_assert_max_num_queries(16):
        client.get(url)
    _more_places(cohort, places["Siobhán"].application.school, 12)
    other = CohortFactory(name="Spring start")
    _place(other, places["Siobhán"].application.school, "Sam", "Spring")
    session(other, at(2028, 2, 3), title="Spring conference")

    with django_assert_max_num_queries(16):
        page = client.get(url)

    assert "Spring conference" in page.content.decode()
    assert len(page.context["applications"]) == 17
