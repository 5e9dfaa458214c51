import dataclasses
import io
import json
import os
import zipfile

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from applications.models import Application
from applications.services import application_accept, application_start, application_withdraw
from applications.tests.factories import team_sign_up
from assessment.models import Marking, Outcome, Submission
from cohorts.models import CalendarFeed, Cohort
from cohorts.tests.factories import CohortFactory
from funding.models import FundingDecision
from mailing_list.models import Subscriber
from npq_portal.models import EmailDelivery, PersonalDataRequest, User
from npq_portal.roles import Role
from npq_portal.selectors import hub_overview_figures
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import PASSWORD, StaffUserFactory, UserFactory, sign_in
from participants.models import Attendance, Enrolment, ModulePhaseDone, SchoolPlaceEvent
from participants.services import enrolment_change, team_member_replace
from privacy.services import person_data_export, person_erase
from programmes.tests.factories import work_group_programme
from reminders.models import ReminderOptOut
from reports.dashboard import DashboardFilters, dashboard_figures
from schools.tests.factories import SchoolFactory

from .helpers import (
    EMAIL,
    FEEDBACK,
    FILE_TEXT,
    FIRST_NAME,
    LAST_NAME,
    PERSONAL,
    TRN,
    WRITTEN,
)

pytestmark = pytest.mark.django_db


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _figures() -> dict:
    """Every count a report draws on, by status: what erasure must leave as it was."""
    return {
        "dashboard": dataclasses.replace(
            dashboard_figures(filters=DashboardFilters(), now=timezone.now()), computed_at=None
        ),
        "overview": hub_overview_figures(),
        "applications": sorted(
            Application.objects.values_list("status", "cohort_id", "school_id", "funding_decision")
        ),
        "places": sorted(Enrolment.objects.values_list("status", "cohort_id", "assessment_result")),
        "attendance": sorted(Attendance.objects.values_list("mark", "session_id")),
        "module_progress": ModulePhaseDone.objects.count(),
        "outcomes": sorted(Outcome.objects.values_list("result", "released_at")),
        "funding": sorted(FundingDecision.objects.values_list("status", "funded", "facts")),
        "submissions": sorted(Submission.objects.values_list("status", "word_count", "late")),
        "emails": sorted(
            EmailDelivery.objects.values("kind", "status")
            .annotate(n=Count("pk"))
            .values_list("kind", "status", "n")
        ),
    }


def test_the_export_holds_everything_about_the_person(history):
    content, record = person_data_export(person=history.person, by=history.admin)

    files = _unzip(content)
    document = json.loads(files["person.json"])
    assert document["account"]["email"] == EMAIL
    applications = {a["application_id"]: a for a in document["applications"]}
    placed = applications[history.application.pk]
    assert placed["trn"] == TRN
    assert [event["to"] for event in placed["history"]][-1] == "Place offered"
    assert placed["funding_decisions"][0]["outcome"]
    place = document["places"][0]
    assert place["status"] == "Completed"
    assert place["attendance"][0]["mark"] == "Present"
    assert place["module_progress"][0]["phase"] == "Study"
    submission = place["assessment_submissions"][0]
    assert "Zebrafinch" in submission["text"]
    assert files[submission["file_in_this_download"]] == FILE_TEXT
    assert place["assessment_outcomes"][0]["feedback"] == FEEDBACK
    assert document["mailing_list"][0]["email"] == EMAIL
    assert document["reminder_opt_outs"][0]["email"] == EMAIL
    assert len(document["calendar_feeds"]) == 1
    sent = {row["email"] for row in document["emails_sent"]}
    assert sent >= {"application_received", "subscriber_confirm"}
    assert TRN.encode() in files["applications.csv"]
    for table in ("applications", "application_history", "places", "attendance", "emails_sent"):
        assert files[f"{table}.csv"].count(b"\n") >= 2  # a header and a row at least
    assert record.kind == PersonalDataRequest.Kind.ACCESS
    assert record.person_id == history.person.pk and record.by == history.admin
    assert record.summary["applications"] == 2 and record.summary["files"] == 1


def test_a_file_too_large_is_listed_not_included(history, settings):
    settings.PERSONAL_DATA = {"export_file_max_bytes": 10}

    content, _ = person_data_export(person=history.person, by=history.person)

    files = _unzip(content)
    assert not [name for name in files if name.startswith("files/")]
    submission = json.loads(files["person.json"])["places"][0]["assessment_submissions"][0]
    assert submission["file_in_this_download"].startswith("too large")


def test_erasure_removes_every_personal_detail_and_keeps_every_figure(
    history, client, django_capture_on_commit_callbacks
):
    first, _ = person_data_export(person=history.person, by=history.admin)
    assert all(text.encode() in b"".join(_unzip(first).values()) for text in PERSONAL)
    sign_in(client, history.person)
    Authenticator.objects.create(user=history.person, type="totp", data={"secret": "x"})
    stored_file = history.submission.file.path
    before = _figures()

    with django_capture_on_commit_callbacks(execute=True):
        record = person_erase(person=history.person, by=history.admin, reason="Request of 3 March")

    after = _figures()
    # Registered interest counts who is on the mailing list now: erasure takes them off it,
    # as unsubscribing would. Every other figure is as it was.
    interest_before = before["dashboard"].funnel.bars.pop(0)
    interest_after = after["dashboard"].funnel.bars.pop(0)
    assert interest_after.value == interest_before.value - 1
    assert after == before
    person = User.objects.get(pk=history.person.pk)
    second, _ = person_data_export(person=person, by=history.admin)
    second = b"".join(_unzip(second).values())
    for text in PERSONAL + WRITTEN:
        assert text.encode() not in second, text
    everything = json.dumps(list(EmailDelivery.objects.values()), default=str).lower()
    assert "brookfield" not in everything and "featherstonehaugh" not in everything
    assert not Subscriber.objects.filter(email=EMAIL).exists()
    assert not ReminderOptOut.objects.filter(email=EMAIL).exists()
    assert not CalendarFeed.objects.filter(owner=history.person).exists()
    assert not Authenticator.objects.filter(user=history.person).exists()
    assert not Session.objects.exists()
    assert not os.path.exists(stored_file)
    assert person.email == f"erased-{person.pk}@erased.invalid"
    assert not person.is_active and not person.has_usable_password()
    assert not Client().login(email=person.email, password=PASSWORD)
    assert client.get("/my-npqs/").status_code == 302  # signed out
    assert record.kind == PersonalDataRequest.Kind.ERASURE
    assert record.person_id == person.pk and record.reason == "Request of 3 March"
    assert record.summary["applications"] == 2 and record.summary["submission_files"] == 1
    assert all(isinstance(n, int) for n in record.summary.values())
    assert EMAIL not in json.dumps(list(PersonalDataRequest.objects.values()), default=str)


def test_erasing_twice_changes_nothing_the_second_time(history):
    first = person_erase(person=history.person, by=history.admin, reason="Their request")
    snapshot = list(Application.objects.values()), list(EmailDelivery.objects.values())

    again = person_erase(person=history.person, by=history.admin, reason="Clicked twice")

    assert again == first
    assert (list(Application.objects.values()), list(EmailDelivery.objects.values())) == snapshot
    assert PersonalDataRequest.objects.filter(kind="erasure").count() == 1


def test_marking_feedback_and_a_resolved_reason_keep_their_required_text(history):
    Marking.objects.create(
        submission=history.submission,
        assessor=StaffUserFactory(roles=[Role.ASSESSOR]),
        result=Marking.Result.PASS,
        feedback=FEEDBACK,
        marked_at=timezone.now(),
    )

    person_erase(person=history.person, by=history.admin, reason="Their request")

    marking = Marking.objects.get()
    assert marking.result == "pass" and marking.feedback == "(erased)"


@pytest.mark.parametrize(
    "make_unready, message",
    [
        (lambda h: user_set_roles(user=h.person, roles=[Role.FACILITATOR], by=None), "hub staff"),
        (
            lambda h: Enrolment.objects.filter(pk=h.enrolment.pk).update(status="active"),
            "hold a place",
        ),
        (
            lambda h: Application.objects.filter(pk=h.rejected.pk).update(status="waitlisted"),
            "not yet decided",
        ),
    ],
)
def test_erasure_is_refused_and_changes_nothing(history, make_unready, message):
    make_unready(history)
    before = list(User.objects.values()), list(Application.objects.values())

    with pytest.raises(ValidationError, match=message):
        person_erase(person=history.person, by=history.admin, reason="Their request")

    assert (list(User.objects.values()), list(Application.objects.values())) == before
    assert not PersonalDataRequest.objects.filter(kind="erasure").exists()


def test_an_administrator_cannot_erase_themselves_or_without_a_reason():
    admin = StaffUserFactory()

    with pytest.raises(ValidationError, match="your own account"):
        person_erase(person=admin, by=admin, reason="Leaving")
    with pytest.raises(ValidationError, match="Say why"):
        person_erase(person=UserFactory(), by=admin, reason="  ")


def test_a_school_leader_loses_the_role_with_a_record_of_it():
    admin = StaffUserFactory()
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    from schools.models import SchoolLeadership

    SchoolLeadership.objects.create(user=leader, school=SchoolFactory(), confirmed_by=admin)

    record = person_erase(person=leader, by=admin, reason="Left the school")

    assert not leader.groups.exists() and not SchoolLeadership.objects.exists()
    assert leader.role_changes.filter(granted=False, by=admin).exists()
    assert record.summary["roles_removed"] == 1


def test_a_withdrawn_place_and_application_do_not_stop_erasure(history):
    place = Enrolment.objects.create(participant=history.person, cohort=history.rejected.cohort)
    enrolment_change(
        enrolment=place, to=Enrolment.Status.WITHDRAWN, by=history.admin, reason="workload"
    )
    cohort = CohortFactory(programme=history.rejected.cohort.programme, status=Cohort.Status.OPEN)
    draft = application_start(applicant=history.person, cohort=cohort)
    application_withdraw(application=draft, by=history.person, reason="Changed my mind")

    person_erase(person=history.person, by=history.admin, reason="Their request")

    place.refresh_from_db()
    assert place.status == "withdrawn"
    # A withdrawal's reason is a code the reports count, not free text: it stays.
    assert place.events.get().reason == "workload"


def test_erasure_leaves_no_name_or_address_in_the_django_admin_log(history):
    from django.contrib.admin.models import CHANGE, DELETION, LogEntry

    delivery = EmailDelivery.objects.filter(recipient=EMAIL).first()
    # What the admin writes when a hub administrator edits the account and deletes a logged
    # email: each entry names its object as it was then.
    LogEntry.objects.log_actions(
        user_id=history.admin.pk, queryset=[history.person], action_flag=CHANGE
    )
    LogEntry.objects.log_actions(
        user_id=history.admin.pk, queryset=[delivery], action_flag=DELETION
    )
    delivery.delete()
    kept = LogEntry.objects.log_actions(
        user_id=history.admin.pk, queryset=[history.admin], action_flag=CHANGE
    )

    record = person_erase(person=history.person, by=history.admin, reason="Their request")

    logged = json.dumps(list(LogEntry.objects.values()), default=str).lower()
    for text in PERSONAL:
        assert text.lower() not in logged, text
    assert LogEntry.objects.count() == 3
    assert LogEntry.objects.get(pk=kept[0].pk).object_repr == str(history.admin)
    assert record.summary["admin_log_entries"] == 2


def test_the_export_lists_every_list_the_person_took_away_downloaded_at_once_or_not(history):
    from reports.models import Export
    from reports.services import export_record

    export_record(
        user=history.person,
        kind=Export.Kind.APPLICATIONS,
        file_format=Export.Format.CSV,
        filters={"q": "Year 5"},
        rows=7,
    )

    content, _ = person_data_export(person=history.person, by=history.admin)

    (made,) = json.loads(_unzip(content)["person.json"])["exports_made"]
    assert (made["export"], made["format"], made["rows"]) == ("Applications", "CSV", 7)
    assert made["filters"] == {"q": "Year 5"}


def test_erasure_blanks_searches_for_the_person_in_other_peoples_exports(history):
    from reports.models import Export, ExportEvent
    from reports.services import export_record
    from reports.tests.factories import ExportFactory

    def exported(filters):
        return export_record(
            user=history.admin,
            kind=Export.Kind.APPLICATIONS,
            file_format=Export.Format.CSV,
            filters=filters,
            rows=1,
        )

    by_name = exported({"q": f"{FIRST_NAME} {LAST_NAME}".upper(), "status": "accepted"})
    by_trn = exported({"q": TRN})
    someone_else = exported({"q": "Year 5", "status": "accepted"})
    background = ExportFactory(requested_by=history.admin, filters={"q": EMAIL})

    record = person_erase(person=history.person, by=history.admin, reason="Their request")

    assert ExportEvent.objects.get(pk=by_name.pk).filters == {"q": "(erased)", "status": "accepted"}
    assert ExportEvent.objects.get(pk=by_trn.pk).filters == {"q": "(erased)"}
    assert ExportEvent.objects.get(pk=someone_else.pk).filters == {
        "q": "Year 5",
        "status": "accepted",
    }
    assert Export.objects.get(pk=background.pk).filters == {"q": "(erased)"}
    assert record.summary["export_searches"] == 3


def test_a_person_named_in_a_work_group_team_gets_it_in_their_export_and_erasure_removes_it():
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    cohort = CohortFactory(programme=work_group_programme("Year 1 lead teacher"), status="open")
    application = team_sign_up(cohort=cohort)
    member = application.team_members.get()
    member.first_name, member.last_name = "Philippa", "Featherstonehaugh"
    member.save()
    application_accept(application=application, by=admin)
    person = User.objects.get(email=member.email)

    export, _ = person_data_export(person=person, by=admin)
    document = json.loads(_unzip(export)["person.json"])
    (team,) = document["work_group_teams"]
    assert (team["role"], team["last_name"], team["school"]) == (
        "Year 1 lead teacher",
        "Featherstonehaugh",
        application.school.name,
    )

    team_member_replace(
        enrolment=person.enrolments.get(),
        first_name="Priya",
        last_name="Shah",
        email="priya.shah@school.example",
        by=admin,
        reason="Philippa is on long-term sick leave.",
    )
    record = person_erase(person=person, by=admin, reason="Their request")

    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("", "")
    assert member.email == f"erased-member-{member.pk}@erased.invalid"
    assert member.slot.label == "Year 1 lead teacher"  # the team's shape still counts
    assert record.summary["work_group_team_entries"] == 1
    (change,) = SchoolPlaceEvent.objects.all()
    assert change.reason == "Year 1 lead teacher: a former team member replaced by Priya Shah."
    assert change.staff_note == ""
