import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.tests.factories import CohortFactory, ModuleWindowFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Attendance, AttendanceChange, ModulePhaseDone
from participants.services import register_take

from .factories import EnrolmentFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
ON_THE_DAY = datetime.datetime(2027, 11, 1, 16, 10, tzinfo=UTC)


def _session_with(people=3):
    cohort = CohortFactory()
    session = SessionFactory(
        cohort=cohort,
        title="Culture and Learning clinic",
        starts_at=datetime.datetime(2027, 11, 1, 16, tzinfo=UTC),
        ends_at=datetime.datetime(2027, 11, 1, 17, 30, tzinfo=UTC),
    )
    with time_machine.travel(datetime.datetime(2027, 9, 1, tzinfo=UTC)):
        enrolments = [EnrolmentFactory(cohort=cohort) for _ in range(people)]
    return session, enrolments


def _facilitator_of(cohort):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(facilitator)
    return facilitator


@time_machine.travel(ON_THE_DAY)
def test_a_facilitator_takes_a_register_all_present_then_the_exceptions(client):
    session, (ada, ben, cara) = _session_with()
    sign_in(client, _facilitator_of(session.cohort))
    url = reverse("participants:session-register", args=[session.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('value="present" checked') == 3  # all present to start

    response = client.post(
        url,
        {f"mark-{ada.pk}": "present", f"mark-{ben.pk}": "absent", f"mark-{cara.pk}": "late"},
        follow=True,
    )

    assert "Register saved: 3 marked." in response.content.decode()
    assert dict(Attendance.objects.values_list("enrolment_id", "mark")) == {
        ada.pk: "present",
        ben.pk: "absent",
        cara.pk: "late",
    }


@time_machine.travel(ON_THE_DAY)
def test_correcting_a_register_asks_why_and_keeps_the_history(client):
    session, (ada, ben, cara) = _session_with()
    register_take(
        session=session, marks={ada.pk: "present", ben.pk: "absent", cara.pk: "present"}, by=None
    )
    sign_in(client, _facilitator_of(session.cohort))
    url = reverse("participants:session-register", args=[session.pk])
    marks = {f"mark-{ada.pk}": "present", f"mark-{ben.pk}": "excused", f"mark-{cara.pk}": "present"}

    refused = client.post(url, marks)
    assert refused.status_code == 200
    assert "say why" in refused.content.decode()
    assert Attendance.objects.get(enrolment=ben).mark == "absent"

    client.post(url, {**marks, "reason": "Sent apologies by email before the session"})
    assert Attendance.objects.get(enrolment=ben).mark == "excused"
    assert AttendanceChange.objects.get().reason == "Sent apologies by email before the session"
    # The page lists the correction: whose mark, from what to what, who made it and why.
    shown = client.get(url).content.decode()
    facilitator = AttendanceChange.objects.get().by
    assert (
        f"1 Nov, 16:10: {ben.participant.get_full_name()} absent → excused by {facilitator}. "
        "Sent apologies by email before the session" in shown
    )


@time_machine.travel(ON_THE_DAY)
def test_a_register_that_fails_validation_says_why_and_keeps_the_marks_entered(client):
    session, (ada, ben) = _session_with(people=2)
    sign_in(client, _facilitator_of(session.cohort))
    url = reverse("participants:session-register", args=[session.pk])
    client.get(url)
    # A place added while the page was open: the posted register has no mark for them.
    dan = EnrolmentFactory(cohort=session.cohort)

    response = client.post(url, {f"mark-{ada.pk}": "late", f"mark-{ben.pk}": "absent"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "The register was not saved" in page
    assert page.count("This field is required.") == 2  # in the summary and by their name
    assert f'id="id_mark-{dan.pk}-error"' in page
    assert f'name="mark-{ada.pk}" id="id_mark-{ada.pk}_1" value="late" checked' in page
    assert f'name="mark-{ben.pk}" id="id_mark-{ben.pk}_2" value="absent" checked' in page
    assert not Attendance.objects.exists()


@time_machine.travel(ON_THE_DAY)
def test_registers_are_scoped_another_facilitator_finds_nothing_and_a_teacher_is_refused(client):
    session, _ = _session_with(people=1)
    url = reverse("participants:session-register", args=[session.pk])

    sign_in(client, _facilitator_of(CohortFactory()))
    assert client.get(url).status_code == 404
    sign_in(client, UserFactory())
    assert client.get(url).status_code == 403
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    assert client.get(url).status_code == 200


@time_machine.travel(ON_THE_DAY)
def test_importing_attendance_from_a_meeting_report(client):
    session, (ada, ben, _) = _session_with()
    sign_in(client, _facilitator_of(session.cohort))
    report = f"Name,Email\nAda,{ada.participant.email}\nVisitor,visitor@other.example\n"

    response = client.post(
        reverse("participants:register-import", args=[session.pk]),
        {"file": SimpleUploadedFile("attendance.csv", report.encode(), "text/csv")},
        follow=True,
    )

    page = response.content.decode()
    assert "Register imported: 1 present, 2 absent." in page
    assert "visitor@other.example" in page
    assert Attendance.objects.get(enrolment=ada).mark == "present"
    assert Attendance.objects.get(enrolment=ben).mark == "absent"


@time_machine.travel(ON_THE_DAY)
def test_an_import_with_a_bad_row_says_which_and_changes_nothing(client):
    session, _ = _session_with(people=1)
    sign_in(client, _facilitator_of(session.cohort))

    response = client.post(
        reverse("participants:register-import", args=[session.pk]),
        {"file": SimpleUploadedFile("a.csv", b"Email\nnobody at all\n", "text/csv")},
    )

    assert "Row 2: “nobody at all” is not an email address" in response.content.decode()
    assert not Attendance.objects.exists()


def _grid_cohort(people):
    session, enrolments = _session_with(people=people)
    ModuleWindowFactory(
        cohort=session.cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 15),
        application_due_on=datetime.date(2027, 10, 25),
    )
    with time_machine.travel(ON_THE_DAY):
        register_take(
            session=session,
            marks={e.pk: "present" if n % 2 else "absent" for n, e in enumerate(enrolments)},
            by=None,
        )
    return session.cohort, enrolments


@pytest.mark.parametrize("people", [3, 30])
@time_machine.travel(datetime.datetime(2027, 11, 2, tzinfo=UTC))
def test_the_cohort_grid_shows_everyone_and_its_queries_do_not_grow(
    client, django_assert_max_num_queries, people
):
    cohort, enrolments = _grid_cohort(people)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    # Sign-in, MFA and navigation, the cohort, its places, and the five participation facts.
    with django_assert_max_num_queries(13):
        page = client.get(reverse("participants:cohort-progress", args=[cohort.pk]))

    rows = page.context["page_obj"].object_list
    assert len(rows) == min(people, 25)
    assert page.context["grid"].rows[0].participation.sessions_due == 1


@time_machine.travel(datetime.datetime(2027, 11, 2, tzinfo=UTC))
def test_the_grid_shows_who_is_at_risk(client):
    cohort, (absent, present, _) = _grid_cohort(3)
    sign_in(client, _facilitator_of(cohort))

    page = client.get(
        reverse("participants:cohort-progress", args=[cohort.pk]), {"show": "at-risk"}
    )

    at_risk = [row.enrolment for row in page.context["page_obj"].object_list]
    # Absent from the one session and no module phase done: 0% so far. The one present
    # attended, but has not finished either phase of the module due: 1 of 3, also at risk.
    assert absent in at_risk
    assert {row.enrolment for row in page.context["grid"].rows if not row.at_risk} == set()
    assert "At risk" in page.content.decode()


@time_machine.travel(datetime.datetime(2027, 10, 5, tzinfo=UTC))
def test_a_participant_ticks_their_module_phases_and_sees_their_participation(client):
    enrolment = EnrolmentFactory()
    window = ModuleWindowFactory(cohort=enrolment.cohort)
    sign_in(client, enrolment.participant)
    url = reverse("participants:my-progress", args=[enrolment.pk])

    response = client.post(
        url, {"module": window.module_id, "phase": "study", "done": "1"}, follow=True
    )

    assert response.status_code == 200
    assert "✓ Study done" in response.content.decode()
    assert ModulePhaseDone.objects.filter(enrolment=enrolment, phase="study").exists()
    home = client.get(reverse("participants:teacher-home")).content.decode()
    assert "Participation:" in home and url in home


def test_someone_elses_progress_is_not_found(client):
    enrolment = EnrolmentFactory()
    sign_in(client, UserFactory())

    assert client.get(reverse("participants:my-progress", args=[enrolment.pk])).status_code == 404
    assert (
        client.post(
            reverse("participants:my-progress", args=[enrolment.pk]), {"module": "1"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("participants:enrolment-progress-staff", args=[enrolment.pk])
        ).status_code
        == 403
    )


@time_machine.travel(datetime.datetime(2027, 10, 5, tzinfo=UTC))
def test_staff_record_a_phase_for_a_participant(client):
    enrolment = EnrolmentFactory()
    window = ModuleWindowFactory(cohort=enrolment.cohort)
    staff = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, staff)

    client.post(
        reverse("participants:enrolment-progress-staff", args=[enrolment.pk]),
        {"module": window.module_id, "phase": "application", "done": "1"},
    )

    assert ModulePhaseDone.objects.get().by == staff


@time_machine.travel(ON_THE_DAY)
def test_a_participant_sees_their_progress_through_the_programme_outline(client):
    from programmes.tests.factories import CourseFactory

    enrolment = EnrolmentFactory(assessment_result="")
    programme = enrolment.cohort.programme
    culture = CourseFactory(programme=programme, title="Culture and Learning", position=1)
    assessment = CourseFactory(programme=programme, title="Assessment", position=2)
    CourseFactory(programme=programme, title="Implementation", position=3)  # no dates yet
    done = ModuleWindowFactory(cohort=enrolment.cohort, module__course=culture)
    ModuleWindowFactory(
        cohort=enrolment.cohort,
        module__course=assessment,
        opens_on=datetime.date(2028, 1, 5),
        study_due_on=datetime.date(2028, 1, 19),
        application_due_on=datetime.date(2028, 2, 2),
    )
    sign_in(client, enrolment.participant)
    url = reverse("participants:my-progress", args=[enrolment.pk])
    for phase in ("study", "application"):
        client.post(url, {"module": done.module_id, "phase": phase, "done": "1"})

    outline = client.get(url).context["outline"]

    assert [(step.course.title, step.state_label) for step in outline] == [
        ("Culture and Learning", "Done"),
        ("Assessment", "Coming up"),
        ("Implementation", "Dates not set yet"),
    ]
    assert (outline[0].modules_done, outline[0].modules_total) == (1, 1)
