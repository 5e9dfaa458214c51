"""A school's place through the Work Group's year: completion against the programme's rule, the
action plan and evaluation, completing, withdrawing and replacing someone in the team; the Work
Group Lead's page, the school's page, the teacher's and the school leader's pages."""

import datetime

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from applications.services import application_accept
from applications.tests.factories import team_sign_up
from cohorts.models import Cohort
from cohorts.services import calendar_feed_get
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from participants.models import Enrolment, KeptCohortGrid, SchoolPlace, SchoolPlaceEvent
from participants.selectors import school_place_completion, work_group_grid
from participants.services import (
    enrolment_change,
    grant_claim_mark_claimed,
    register_take,
    school_place_complete,
    school_place_save_evaluation,
    school_place_save_plan,
    school_place_withdraw,
    team_member_replace,
)
from programmes.models import ProgrammeGrant, RoleSlot
from programmes.tests.factories import RoleSlotFactory, work_group_programme
from schools.models import SchoolLeadership, SchoolProgrammeYear
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _work_group(capacity=5, **programme_fields):
    programme = work_group_programme(
        "Year 1 lead teacher", "Year 2 lead teacher", **programme_fields
    )
    RoleSlotFactory(
        programme=programme, position=9, label="Maths lead", kind=RoleSlot.Kind.SUPPORTING
    )
    return CohortFactory(programme=programme, status=Cohort.Status.OPEN, capacity=capacity)


def _school_place(cohort, school=None) -> SchoolPlace:
    return application_accept(
        application=team_sign_up(cohort=cohort, school=school), by=StaffUserFactory()
    )


def _held(cohort, count=3) -> list:
    """`count` sessions of the Work Group in the last fortnight, so registers can be taken."""
    return [
        SessionFactory(
            cohort=cohort,
            title=f"Workshop {n + 1}",
            starts_at=NOW - datetime.timedelta(days=14 - n),
            ends_at=NOW - datetime.timedelta(days=14 - n, hours=-2),
        )
        for n in range(count)
    ]


def _member(place, label) -> Enrolment:
    return place.members.get(role_slot__label=label)


def _mark(session, marks: dict) -> None:
    register_take(session=session, marks={e.pk: mark for e, mark in marks.items()}, by=None)


# ---- Completion: the programme's rule ----


def test_a_school_completes_when_a_lead_participant_attended_enough_sessions():
    cohort = _work_group(completion_sessions=2)
    place = _school_place(cohort)
    first, second, _ = _held(cohort)
    year_1 = _member(place, "Year 1 lead teacher")
    maths_lead = _member(place, "Maths lead")

    _mark(first, {year_1: "present", maths_lead: "present"})
    before = school_place_completion(place)
    _mark(second, {year_1: "late", maths_lead: "present"})
    after = school_place_completion(place)

    assert before == (False, ("No lead participant attended 2 sessions yet (the most is 1).",))
    met, reasons = after
    assert met and reasons == ()


def test_a_supporting_roles_attendance_does_not_complete_the_school():
    cohort = _work_group(completion_sessions=1)
    place = _school_place(cohort)
    (session,) = _held(cohort, 1)

    _mark(session, {_member(place, "Maths lead"): "present"})

    met, reasons = school_place_completion(place)
    assert not met
    assert reasons == ("No lead participant attended 1 session yet (the most is 0).",)


def test_the_action_plan_is_needed_when_the_programme_says_so():
    cohort = _work_group(completion_sessions=1, completion_needs_action_plan=True)
    place = _school_place(cohort)
    (session,) = _held(cohort, 1)
    _mark(session, {_member(place, "Year 2 lead teacher"): "present"})

    without = school_place_completion(place)
    school_place_save_plan(place=place, by=UserFactory(), text="Fluency every morning.")
    place.refresh_from_db()
    with_plan = school_place_completion(place)

    assert without == (False, ("The school's action plan is not in yet.",))
    assert with_plan.met


def test_a_programme_without_a_number_of_sessions_leaves_completion_to_staff():
    place = _school_place(_work_group(completion_sessions=None))

    met, reasons = school_place_completion(place)

    assert not met
    assert "staff judge" in reasons[0]


# ---- Completing, withdrawing, replacing ----


def test_completing_before_the_rule_is_met_is_refused_without_a_reason_and_changes_nothing():
    cohort = _work_group(completion_sessions=3)
    place = _school_place(cohort)

    with pytest.raises(ValidationError, match="No lead participant attended 3 sessions.*say why"):
        school_place_complete(place=place, by=StaffUserFactory())

    place.refresh_from_db()
    assert place.status == "active" and place.completed_on is None
    assert not place.events.exists()
    assert set(place.members.values_list("status", flat=True)) == {"active"}


def test_staff_complete_a_school_with_a_reason_and_its_team_and_history_follow():
    cohort = _work_group(completion_sessions=3)
    place = _school_place(cohort)
    staff = StaffUserFactory()

    school_place_complete(place=place, by=staff, reason="Attended the central sessions instead.")

    place.refresh_from_db()
    assert (place.status, place.completed_on) == ("completed", timezone.localdate())
    assert set(place.members.values_list("status", flat=True)) == {"completed"}
    event = place.events.get()
    assert (event.to_status, event.by, event.reason) == (
        "completed",
        staff,
        "Attended the central sessions instead.",
    )
    history = SchoolProgrammeYear.objects.get(school=place.school, programme=cohort.programme)
    assert history.status == "completed"


def test_a_school_meeting_the_rule_completes_without_a_reason():
    cohort = _work_group(completion_sessions=1)
    place = _school_place(cohort)
    (session,) = _held(cohort, 1)
    _mark(session, {_member(place, "Year 1 lead teacher"): "present"})

    school_place_complete(place=place, by=StaffUserFactory())

    place.refresh_from_db()
    assert place.status == "completed"
    assert place.events.get().reason == "The programme's rule for completing is met."


def test_withdrawing_a_school_withdraws_its_team_records_the_year_and_frees_the_place():
    cohort = _work_group(capacity=1)
    place = _school_place(cohort)
    cohort.refresh_from_db()
    assert cohort.places_taken == 1

    with pytest.raises(ValidationError, match="Say why"):
        school_place_withdraw(place=place, by=StaffUserFactory(), reason=" ")
    school_place_withdraw(place=place, by=StaffUserFactory(), reason="New head, other priorities.")

    place.refresh_from_db()
    cohort.refresh_from_db()
    assert (place.status, place.withdrawn_on) == ("withdrawn", timezone.localdate())
    assert set(place.members.values_list("status", flat=True)) == {"withdrawn"}
    assert all(
        m.events.last().reason == "The school withdrew: New head, other priorities."
        for m in place.members.all()
    )
    assert cohort.places_taken == 0
    history = SchoolProgrammeYear.objects.get(school=place.school, programme=cohort.programme)
    assert history.status == "withdrawn"
    # The place is free: another school can be accepted into it.
    assert _school_place(cohort).status == "active"


def test_a_school_that_withdraws_is_not_paid_a_grant_it_has_not_claimed():
    owed_cohort, claimed_cohort = _work_group(), _work_group()
    for cohort in (owed_cohort, claimed_cohort):
        ProgrammeGrant.objects.create(
            programme=cohort.programme, academic_year=cohort.academic_year, amount=1000
        )
    owed, claimed = _school_place(owed_cohort), _school_place(claimed_cohort)
    staff = StaffUserFactory()
    grant_claim_mark_claimed(claim=claimed.grant_claim, by=staff)

    school_place_withdraw(place=owed, by=staff, reason="Closed.")
    school_place_withdraw(place=claimed, by=staff, reason="Closed.")

    owed.grant_claim.refresh_from_db(), claimed.grant_claim.refresh_from_db()
    assert owed.grant_claim.status == "cancelled"
    assert "The school withdrew: Closed." in owed.grant_claim.note
    assert claimed.grant_claim.status == "claimed"  # a claim received is staff's to decide


def test_a_lead_participant_is_replaced_mid_year_in_the_same_role_and_the_new_one_is_emailed(
    django_capture_on_commit_callbacks, mailoutbox
):
    cohort = _work_group()
    place = _school_place(cohort)
    old = _member(place, "Year 2 lead teacher")
    staff = StaffUserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        new = team_member_replace(
            enrolment=old,
            first_name="Priya",
            last_name="Shah",
            email="p.shah@school.example",
            by=staff,
            reason="Left the school at Easter.",
        )

    old.refresh_from_db()
    assert old.status == "withdrawn"
    assert old.events.last().reason == "Replaced by Priya Shah."  # why is for staff only
    change = place.events.last()
    assert change.staff_note == "Left the school at Easter."
    assert "Left the school" not in change.reason
    assert (new.school_place, new.role_slot, new.status) == (place, old.role_slot, "active")
    assert new.participant.email == "p.shah@school.example"
    assert not new.participant.has_usable_password()
    sent = [m for m in mailoutbox if m.to == ["p.shah@school.example"]]
    assert len(sent) == 1 and "/accounts/password/reset/key/" in sent[0].body
    event = SchoolPlaceEvent.objects.get(school_place=place)
    assert event.reason.startswith("Year 2 lead teacher: ")
    assert event.reason.endswith("replaced by Priya Shah.")
    place.refresh_from_db()
    assert place.status == "active"


def test_replacing_someone_with_a_person_already_in_the_work_group_changes_nothing():
    cohort = _work_group()
    place, other = _school_place(cohort), _school_place(cohort)
    old = _member(place, "Year 1 lead teacher")
    taken = _member(other, "Year 1 lead teacher").participant

    with pytest.raises(ValidationError, match="already has a place"):
        team_member_replace(
            enrolment=old,
            first_name=taken.first_name,
            last_name=taken.last_name,
            email=taken.email,
            by=StaffUserFactory(),
            reason="Moved class.",
        )

    old.refresh_from_db()
    assert old.status == "active"
    assert not SchoolPlaceEvent.objects.exists()


# ---- The action plan and the evaluation ----


def test_the_action_plan_file_is_stored_privately_under_a_random_name():
    place = _school_place(_work_group())

    school_place_save_plan(
        place=place,
        by=UserFactory(),
        text="",
        upload=SimpleUploadedFile("Our plan 2026.pdf", PDF),
    )

    place.refresh_from_db()
    assert place.action_plan_filename == "Our plan 2026.pdf"
    assert place.action_plan_file.name.startswith("participants/action_plans/")
    assert "Our plan" not in place.action_plan_file.name
    assert place.has_action_plan() and place.action_plan_updated_at is not None
    with pytest.raises(ValueError, match="no URL"):
        _ = place.action_plan_file.url


@pytest.mark.parametrize(
    ("name", "data", "refusal"),
    [
        ("plan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "none of those"),
        ("plan.txt", b"", "empty"),
    ],
)
def test_an_action_plan_file_of_another_kind_is_refused_and_nothing_is_saved(name, data, refusal):
    place = _school_place(_work_group())

    with pytest.raises(ValidationError, match=refusal):
        school_place_save_plan(
            place=place, by=UserFactory(), text="Kept?", upload=SimpleUploadedFile(name, data)
        )

    place.refresh_from_db()
    assert place.action_plan == "" and not place.action_plan_file


def test_an_action_plan_file_over_the_size_limit_is_refused(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "assessment": 10}
    place = _school_place(_work_group())

    with pytest.raises(ValidationError, match="largest you can upload"):
        school_place_save_plan(
            place=place, by=UserFactory(), text="", upload=SimpleUploadedFile("p.txt", b"x" * 11)
        )


def test_each_evaluation_heading_is_saved_on_its_own_and_the_others_are_kept():
    place = _school_place(_work_group())
    writer = UserFactory()

    school_place_save_evaluation(place=place, by=writer, pupil_outcomes="More fluent.")
    school_place_save_evaluation(place=place, by=writer, whole_school="New calculation policy.")

    place.refresh_from_db()
    assert place.evaluation_pupil_outcomes == "More fluent."
    assert place.evaluation_whole_school == "New calculation policy."
    assert place.has_evaluation()


def test_a_withdrawn_school_can_no_longer_change_its_plan():
    place = _school_place(_work_group())
    school_place_withdraw(place=place, by=StaffUserFactory(), reason="Closed.")

    with pytest.raises(ValidationError, match="withdrawn"):
        school_place_save_plan(place=place, by=UserFactory(), text="Too late")


# ---- The Work Group Lead's page ----


def _lead_of(cohort):
    lead = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(lead)
    return lead


def test_the_work_group_lead_sees_schools_teams_marks_in_words_and_who_missed_what(client):
    cohort = _work_group(completion_sessions=2)
    oak = _school_place(cohort, SchoolFactory(name="Oakfield Primary", la_name="Wirral"))
    beech = _school_place(cohort, SchoolFactory(name="Beech Lane Primary"))
    # Accepted before the first workshop: every session held counts for everyone.
    Enrolment.objects.filter(cohort=cohort).update(created_at=NOW - datetime.timedelta(days=30))
    first, second, _ = _held(cohort)
    oak_lead, beech_lead = (
        _member(oak, "Year 1 lead teacher"),
        _member(beech, "Year 1 lead teacher"),
    )
    _mark(first, {oak_lead: "present", beech_lead: "absent"})
    _mark(second, {oak_lead: "excused", beech_lead: "late"})
    sign_in(client, _lead_of(cohort))

    response = client.get(reverse("participants:work-group", args=[cohort.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Oakfield Primary" in page and str(oak.school.urn) in page and "Wirral" in page
    assert oak_lead.participant.email in page
    grid = response.context["grid"]
    rows = {row.place.school.name: row for row in grid.schools}
    oak_marks = {m.enrolment.pk: m for m in rows["Oakfield Primary"].members}
    assert oak_marks[oak_lead.pk].marks == ["Present", "Excused", ""]
    beech_marks = {m.enrolment.pk: m for m in rows["Beech Lane Primary"].members}
    assert beech_marks[beech_lead.pk].marks == ["Absent", "Late", ""]
    # Everyone not marked on a register taken missed it; an excused absence is not a miss.
    missed = {member.enrolment.pk: member.missed for _, member in grid.missed}
    assert missed[beech_lead.pk] == [first]
    assert oak_lead.pk not in missed
    assert missed[_member(oak, "Year 2 lead teacher").pk] == [first, second]
    assert "Missed 1: Workshop 1" in page


def test_another_facilitator_gets_a_404_and_an_npq_cohort_has_no_work_group_page(client):
    cohort = _work_group()
    npq = CohortFactory()
    lead = _lead_of(cohort)
    npq.facilitators.add(lead)
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))
    assert client.get(reverse("participants:work-group", args=[cohort.pk])).status_code == 404

    sign_in(client, lead)
    assert client.get(reverse("participants:work-group", args=[npq.pk])).status_code == 404


def test_the_cohort_page_links_a_work_group_to_its_schools_and_attendance(client):
    cohort = _work_group()
    sign_in(client, _lead_of(cohort))

    page = client.get(reverse("cohorts:cohort-detail", args=[cohort.pk])).content.decode()

    assert reverse("participants:work-group", args=[cohort.pk]) in page


def test_the_work_group_page_query_count_is_flat_in_schools_and_sessions(client):
    cohort = _work_group()
    sessions = _held(cohort, 2)
    sign_in(client, _lead_of(cohort))

    def add_schools(count):
        for _ in range(count):
            place = _school_place(cohort)
            _mark(sessions[0], {m: "present" for m in place.members.all()})
        for n in range(count):  # and more sessions with them
            SessionFactory(cohort=cohort, starts_at=NOW + datetime.timedelta(days=n + 1))

    Cohort.objects.filter(pk=cohort.pk).update(capacity=100)
    url = reverse("participants:work-group", args=[cohort.pk])
    # Its people's marks worked out afresh both times, then kept both times.
    afresh = KeptCohortGrid.objects.all().delete
    assert_queries_do_not_grow(client, url, add_schools, sizes=(2, 8), before_each=afresh)
    assert_queries_do_not_grow(
        client, url, add_schools, sizes=(10, 12), before_each=lambda: client.get(url)
    )


def test_the_work_group_grid_is_built_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    cohort = _work_group(capacity=50)
    places = [_school_place(cohort) for _ in range(6)]
    sessions = _held(cohort, 4)
    _mark(sessions[0], {m: "present" for m in places[0].members.all()})
    cohort = Cohort.objects.select_related("programme").get(pk=cohort.pk)

    # School places, their members, then participation's facts for registers alone: the
    # sessions, and the registers taken with each person's marks (no module windows, no
    # phases done: a Work Group counts sessions), found kept with their version; a school's
    # page passes its place, already loaded, and saves the first, and reads its own facts.
    afresh = work_group_grid(cohort=cohort)  # worked out, and kept
    with django_assert_max_num_queries(3):
        grid = work_group_grid(cohort=cohort)
    place = SchoolPlace.objects.select_related("school").get(pk=grid.schools[0].place.pk)
    with django_assert_max_num_queries(3):
        one = work_group_grid(cohort=cohort, places=[place])

    assert len(grid.schools) == 6 and len(grid.sessions) == 4
    assert one.schools[0].place is place and one.schools[0].members == grid.schools[0].members
    assert _work_group_shown(grid) == _work_group_shown(afresh)
    assert sum(member.attended for school in grid.schools for member in school.members) > 0


def _work_group_shown(grid) -> list:
    """All a Work Group's grid shows, as plain values."""
    return [(s.pk, s.title, s.starts_at) for s in grid.sessions] + [
        (
            school.place.pk,
            school.completion,
            [
                (
                    m.enrolment.pk,
                    m.marks,
                    [(s.pk, s.title, s.starts_at) for s in m.missed],
                    m.attended,
                )
                for m in school.members
            ],
        )
        for school in grid.schools
    ]


# ---- The school's page: the team, the school leader, staff ----


def test_a_team_member_writes_the_plan_and_evaluation_from_their_start_page(client, settings):
    cohort = _work_group()
    place = _school_place(cohort)
    member = _member(place, "Year 1 lead teacher").participant
    sign_in(client, member)

    home = client.get(reverse("participants:teacher-home")).content.decode()
    assert place.get_absolute_url() in home
    response = client.post(
        reverse("participants:school-place-plan", args=[place.pk]),
        {"text": "Fluency every morning.", "upload": SimpleUploadedFile("plan.pdf", PDF)},
    )
    assert response.status_code == 302
    url = reverse("participants:school-place-evaluation", args=[place.pk, "pupil-outcomes"])
    for text in ("Pupils explain.", "Shared planning.", "Coaching.", "Policy rewritten."):
        response = client.post(url, {"text": text})
        url = response.url
    page = client.get(url).content.decode()
    download = client.get(reverse("participants:school-place-plan-file", args=[place.pk]))

    assert url == place.get_absolute_url()
    place.refresh_from_db()
    assert place.action_plan == "Fluency every morning."
    assert (place.evaluation_pupil_outcomes, place.evaluation_whole_school) == (
        "Pupils explain.",
        "Policy rewritten.",
    )
    assert "Policy rewritten." in page and "Download plan.pdf" in page
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_an_upload_that_is_not_a_plan_is_refused_on_the_page(client):
    place = _school_place(_work_group())
    sign_in(client, _member(place, "Year 1 lead teacher").participant)

    response = client.post(
        reverse("participants:school-place-plan", args=[place.pk]),
        {"text": "", "upload": SimpleUploadedFile("plan.pdf", b"MZ\x90\x00program")},
    )

    assert response.status_code == 200
    assert "none of those" in response.content.decode()
    place.refresh_from_db()
    assert not place.has_action_plan()


def test_the_school_leader_sees_the_place_but_only_the_team_and_staff_write_to_it(client):
    place = _school_place(_work_group())
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    SchoolLeadership.objects.create(user=leader, school=place.school)
    replaced = _member(place, "Year 2 lead teacher")
    team_member_replace(
        enrolment=replaced,
        first_name="Sam",
        last_name="Okafor",
        email="s.okafor@school.example",
        by=StaffUserFactory(),
        reason="Maternity leave.",
    )
    sign_in(client, leader)

    page = client.get(place.get_absolute_url())
    plan = client.get(reverse("participants:school-place-plan", args=[place.pk]))
    sign_in(client, replaced.participant)  # replaced: no longer in the team
    gone = client.get(place.get_absolute_url())

    assert page.status_code == 200 and plan.status_code == 404 and gone.status_code == 404
    text = page.content.decode()
    assert "s.okafor@school.example" in text
    assert "Year 2 lead teacher" in text and "replaced by Sam Okafor" in text  # the history
    assert "Maternity leave." not in text  # why someone left is for staff only
    sign_in(client, StaffUserFactory())
    assert "Staff only: Maternity leave." in client.get(place.get_absolute_url()).content.decode()


def test_staff_complete_withdraw_and_replace_from_the_schools_page(client):
    cohort = _work_group(completion_sessions=1)
    place, other = _school_place(cohort), _school_place(cohort)
    staff = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, staff)

    page = client.get(place.get_absolute_url()).content.decode()
    refused = client.post(reverse("participants:school-place-complete", args=[place.pk]), {})
    completed = client.post(
        reverse("participants:school-place-complete", args=[place.pk]),
        {"reason": "Attended the central sessions."},
    )
    old = _member(other, "Year 1 lead teacher")
    replace = client.post(
        reverse("participants:team-member-replace", args=[old.pk]),
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ann.lee@school.example",
            "reason": "Left.",
        },
    )
    withdrawn = client.post(
        reverse("participants:school-place-withdraw", args=[other.pk]), {"reason": "Closing."}
    )

    assert "Mark the school completed" in page and "Withdraw the school" in page
    replace_link = reverse(
        "participants:team-member-replace", args=[_member(place, "Year 1 lead teacher").pk]
    )
    assert replace_link in page
    assert refused.status_code == completed.status_code == 302
    assert replace.status_code == 302 and replace.url == other.get_absolute_url()
    assert withdrawn.status_code == 302
    place.refresh_from_db(), other.refresh_from_db()
    assert place.status == "completed" and other.status == "withdrawn"
    assert other.members.filter(participant__email="ann.lee@school.example").exists()


def test_a_facilitator_may_not_complete_a_school(client):
    cohort = _work_group()
    place = _school_place(cohort)
    sign_in(client, _lead_of(cohort))

    response = client.post(
        reverse("participants:school-place-complete", args=[place.pk]), {"reason": "Done."}
    )

    assert response.status_code == 403
    place.refresh_from_db()
    assert place.status == "active"


# ---- The teacher's start page and calendar, and My school ----


def test_a_team_member_sees_the_work_groups_sessions_on_their_start_page_and_calendar(client):
    cohort = _work_group()
    place = _school_place(cohort)
    member = _member(place, "Year 2 lead teacher").participant
    coming = SessionFactory(
        cohort=cohort,
        title="Workshop 4: the bar model",
        starts_at=NOW + datetime.timedelta(days=10),
        ends_at=NOW + datetime.timedelta(days=10, hours=2),
    )
    sign_in(client, member)

    home = client.get(reverse("participants:teacher-home"))
    feed = client.get(calendar_feed_get(owner=member).get_absolute_url())
    calendar_page = client.get(reverse("cohorts:my-calendar")).content.decode()

    assert coming in home.context["next_sessions"]
    assert "Workshop 4: the bar model" in home.content.decode()
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Workshop 4: the bar model"]
    assert "Workshop 4: the bar model" in calendar_page


def test_my_school_lists_the_schools_work_group_places_with_their_teams(client):
    school = SchoolFactory(name="Oakfield Primary")
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    SchoolLeadership.objects.create(user=leader, school=school)
    first, second = _work_group(), _work_group()
    place = _school_place(first, school)
    _school_place(second, school)
    _school_place(first)  # another school's
    sign_in(client, leader)

    response = client.get(reverse("participants:school-leader-home"))

    assert [p.school for p in response.context["school_places"]] == [school, school]
    page = response.content.decode()
    assert place.get_absolute_url() in page
    for member in place.members.all():
        assert escape(member.participant.get_full_name()) in page


def test_a_team_members_progress_page_shows_sessions_not_modules_a_work_group_has_none(client):
    cohort = _work_group()
    _held(cohort, count=1)
    member = _member(_school_place(cohort), "Year 1 lead teacher")
    sign_in(client, member.participant)

    page = client.get(reverse("participants:my-progress", args=[member.pk])).content.decode()

    assert "Workshop 1" in page
    assert "Modules" not in page and "module phase" not in page


def test_who_may_see_and_write_a_schools_place_is_the_querysets_rule_for_everyone():
    """school_place_seen_by and school_place_editable_by (fixed queries, one a scope) answer
    as SchoolPlaceQuerySet.for_user and editable_by do, for every kind of person and place."""
    from participants.selectors import school_place_editable_by, school_place_seen_by

    school = SchoolFactory(name="Oakfield Primary")
    first, second = _work_group(), _work_group()
    place, elsewhere = _school_place(first, school), _school_place(second)
    lead = StaffUserFactory(roles=[Role.FACILITATOR])
    first.facilitators.add(lead)
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    SchoolLeadership.objects.create(user=leader, school=school)
    member = _member(place, "Year 1 lead teacher")
    withdrawn = _member(place, "Year 2 lead teacher")
    enrolment_change(
        enrolment=withdrawn, to=Enrolment.Status.WITHDRAWN, by=None, reason="left_school"
    )
    people = [
        StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]),
        StaffUserFactory(roles=[Role.PROGRAMME_LEAD]),
        lead,
        StaffUserFactory(roles=[Role.FACILITATOR]),  # runs no cohort
        leader,
        UserFactory(roles=[Role.SCHOOL_LEADER]),  # leads no school
        member.participant,
        withdrawn.participant,
        UserFactory(),
    ]
    seen = []
    for person in people:
        for each in (place, elsewhere):
            expected = SchoolPlace.objects.for_user(person).filter(pk=each.pk).exists()
            found = school_place_seen_by(person, each.pk)
            assert (found is not None) == expected, (person, each)
            if found is not None:
                assert found == each and found.school == each.school
                seen.append((people.index(person), each == place))
            writes = SchoolPlace.objects.editable_by(person).filter(pk=each.pk).exists()
            assert school_place_editable_by(person, each) == writes, (person, each)
    # Hub staff see both; the Lead, the leader and the member only their own school's.
    assert seen == [(0, True), (0, False), (1, True), (1, False), (2, True), (4, True), (6, True)]
