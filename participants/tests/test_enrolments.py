import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import (
    application_accept,
    application_take_offer,
    application_waitlist,
    approvals_chase,
    waitlist_offers_expire,
)
from applications.tests.test_applications import A, _application, _open_cohort
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.models import EmailDelivery
from npq_portal.roles import Role, user_roles
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Enrolment
from participants.services import enrolment_change, enrolment_transfer
from participants.signals import enrolment_deferred, enrolment_resumed, enrolment_withdrawn
from participants.tests.factories import EnrolmentFactory
from reminders.models import ReminderOptOut
from schools.services import school_leader_confirm
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
E = Enrolment.Status


@pytest.fixture
def staff():
    return StaffUserFactory(roles=[Role.PROGRAMME_LEAD])


def _full_cohort_with_waitlist(staff, waiting=2):
    cohort = _open_cohort(capacity=1)
    enrolment = application_accept(
        application=_application(A.SCHOOL_APPROVED, cohort=cohort), by=staff
    )
    waitlisted = []
    for _ in range(waiting):
        application = _application(A.SCHOOL_APPROVED, cohort=cohort)
        waitlisted.append(application_waitlist(application=application, by=staff))
    return cohort, enrolment, waitlisted


def test_a_withdrawal_offers_the_place_to_the_first_on_the_waiting_list(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    cohort, enrolment, (first, second) = _full_cohort_with_waitlist(staff)

    with django_capture_on_commit_callbacks(execute=True):
        enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="workload")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.offer_expires_at and second.offer_expires_at is None
    assert any(
        m.subject.startswith("A place on") and m.to == [first.applicant.email] for m in mailoutbox
    )
    enrolment = application_take_offer(application=first, by=first.applicant)
    assert enrolment.cohort == cohort
    first.refresh_from_db()
    assert first.status == A.ACCEPTED


def test_a_lapsed_offer_passes_to_the_next_in_line(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    cohort, enrolment, (first, second) = _full_cohort_with_waitlist(staff)
    enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="health")
    Application.objects.filter(pk=first.pk).update(
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert waitlist_offers_expire() == 1
    assert waitlist_offers_expire() == 0  # a rerun finds nothing

    lapsed = [m for m in mailoutbox if m.to == [first.applicant.email]]
    assert [m.subject for m in lapsed] == [
        f"The place offered on {cohort.programme.name} has passed to the next person"
    ]
    assert any(m.to == [second.applicant.email] for m in mailoutbox)  # the new offer

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.offer_lapsed_at and first.offer_expires_at is None
    assert second.offer_expires_at is not None
    with pytest.raises(ValidationError, match="no place on offer"):
        application_take_offer(application=first, by=first.applicant)


def test_the_holder_of_an_offer_is_reminded_once_a_day_before_it_lapses(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    from reminders.services import offer_expiring_reminders_run

    cohort, enrolment, (first, _) = _full_cohort_with_waitlist(staff)
    enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="health")
    first.refresh_from_db()
    expires = first.offer_expires_at
    ReminderOptOut.objects.create(email=first.applicant.email)  # urgent: still told
    mailoutbox.clear()

    day = datetime.timedelta(days=1)
    minute = datetime.timedelta(minutes=1)
    assert offer_expiring_reminders_run(now=expires - day - minute) == 0
    assert offer_expiring_reminders_run(now=expires - day) == 1
    assert offer_expiring_reminders_run(now=expires - datetime.timedelta(hours=3)) == 0
    assert offer_expiring_reminders_run(now=expires + minute) == 0

    (reminder,) = mailoutbox
    assert reminder.to == [first.applicant.email]
    assert reminder.subject.startswith(f"Your place on {cohort.programme.name} is held until")
    assert first.get_absolute_url() in reminder.body


def test_withdrawing_needs_a_reason_from_the_list_and_changes_nothing_without_one(staff):
    enrolment = application_accept(application=_application(A.SCHOOL_APPROVED), by=staff)

    with pytest.raises(ValidationError, match="Choose why"):
        enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="bored")

    enrolment.refresh_from_db()
    assert enrolment.status == E.ACTIVE


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (E.ACTIVE, E.DEFERRED, True),
        (E.DEFERRED, E.ACTIVE, True),
        (E.ACTIVE, E.COMPLETED, True),
        (E.DEFERRED, E.COMPLETED, False),
        (E.COMPLETED, E.ACTIVE, False),
        (E.WITHDRAWN, E.ACTIVE, False),
    ],
)
def test_place_changes_allowed_and_refused(staff, start, to, allowed):
    enrolment = application_accept(application=_application(A.SCHOOL_APPROVED), by=staff)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=start)

    reason = "career_break" if to == E.DEFERRED else ""
    if allowed:
        enrolment = enrolment_change(enrolment=enrolment, to=to, by=staff, reason=reason)
        assert enrolment.status == to
        assert enrolment.events.last().by == staff
    else:
        with pytest.raises(ValidationError, match="cannot become"):
            enrolment_change(enrolment=enrolment, to=to, by=staff)
        enrolment.refresh_from_db()
        assert enrolment.status == start


def test_a_transfer_keeps_history_and_respects_the_other_cohorts_capacity(staff):
    source = _open_cohort(capacity=5)
    target = CohortFactory(programme=source.programme, status=Cohort.Status.OPEN, capacity=1)
    enrolment = application_accept(
        application=_application(A.SCHOOL_APPROVED, cohort=source), by=staff
    )

    moved = enrolment_transfer(
        enrolment=enrolment, to_cohort=target, by=staff, reason="Moved house"
    )

    enrolment.refresh_from_db()
    assert enrolment.status == E.WITHDRAWN
    assert moved.transferred_from == enrolment and moved.cohort == target
    target.refresh_from_db()
    assert target.status == Cohort.Status.FULL
    other = application_accept(application=_application(A.SCHOOL_APPROVED, cohort=source), by=staff)
    with pytest.raises(ValidationError, match="is full"):
        enrolment_transfer(enrolment=other, to_cohort=target, by=staff, reason="Too")


def test_an_applications_page_offers_staff_the_programmes_other_live_cohorts_by_name(client, staff):
    source = _open_cohort(capacity=5)
    open_one = CohortFactory(programme=source.programme, status=Cohort.Status.OPEN, name="North")
    CohortFactory(
        programme=source.programme,
        status=Cohort.Status.CANCELLED,
        name="Gone",
        cancelled_reason="No takers",
    )
    CohortFactory(programme=source.programme, status=Cohort.Status.COMPLETED, name="Done")
    CohortFactory(status=Cohort.Status.OPEN, name="Another programme's")
    application = _application(A.SCHOOL_APPROVED, cohort=source)
    application_accept(application=application, by=staff)
    sign_in(client, staff)

    page = client.get(application.get_absolute_url()).content.decode()

    choices = page[
        page.index('name="cohort"') : page.index("</select>", page.index('name="cohort"'))
    ]
    assert f'<option value="{open_one.pk}">{open_one}</option>' in choices
    assert choices.count("<option") == 1


def test_approvers_are_chased_at_3_and_7_days_then_staff_are_told(
    mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.HUB_CONTACT_EMAIL = "hub@generate.example"
    application = _application(A.AWAITING_SCHOOL)

    def at(days):
        Application.objects.filter(pk=application.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=days)
        )
        with django_capture_on_commit_callbacks(execute=True):
            sent = approvals_chase()
            approvals_chase()  # a second run the same day sends nothing more
        return sent

    assert at(2) == 0
    assert at(3) == 1
    assert at(7) == 1
    assert at(10) == 1
    to_head = [m for m in mailoutbox if m.to == ["head@oakfield.example"]]
    assert len(to_head) == 2  # two reminders (the first request was sent on submitting)
    assert EmailDelivery.objects.filter(kind="approval_overdue").count() == 1


def test_a_school_leader_sees_only_their_schools_people(client):
    leader = UserFactory()
    theirs = _application(A.AWAITING_SCHOOL)
    other_school = SchoolFactory(urn=654321)
    elsewhere = _application(A.AWAITING_SCHOOL, cohort=theirs.cohort)
    Application.objects.filter(pk=elsewhere.pk).update(school=other_school)
    school_leader_confirm(user=leader, school=theirs.school, by=StaffUserFactory())
    sign_in(client, leader)

    page = client.get(reverse("participants:school-leader-home"))

    assert Role.SCHOOL_LEADER in user_roles(leader)
    assert list(page.context["applications"]) == [theirs]
    assert client.get(theirs.get_absolute_url()).status_code == 200
    assert client.get(elsewhere.get_absolute_url()).status_code == 404


def test_staff_confirm_a_leader_by_their_verified_address(client):
    school = SchoolFactory(urn=111111)
    leader = UserFactory(email="head@school.example")
    sign_in(client, StaffUserFactory())

    response = client.post(
        reverse("schools:school-leaders", args=[school.urn]), {"email": "Head@School.example"}
    )
    unknown = client.post(
        reverse("schools:school-leaders", args=[school.urn]),
        {"email": "nobody@school.example"},
    )

    assert response.status_code == 302
    assert school.leaderships.get().user == leader
    assert "No verified account has this address" in unknown.content.decode()


def test_a_funding_override_from_the_page_keeps_the_calculated_outcome(client, staff):
    application = _application(A.SCHOOL_APPROVED)
    sign_in(client, staff)

    client.post(
        reverse("applications:funding-override", args=[application.pk]),
        {"funded": "0", "reason": "Trust is paying"},
    )

    decision = application.funding_decision
    decision.refresh_from_db()
    assert (decision.status, decision.override_status) == ("funded", "marked_ineligible_by_policy")
    assert decision.overrides.get().by == staff


def test_the_demo_data_gives_every_role_something_to_see_and_loads_once(settings):
    from django.core.management import call_command

    from cohorts.models import Cohort
    from programmes.services import catalogue_load

    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    catalogue_load()

    call_command("load_demo_data", stdout=io.StringIO())
    call_command("load_demo_data", stdout=io.StringIO())

    npqlpm = Cohort.objects.filter(programme__slug="npq-leading-primary-mathematics")
    cohort = npqlpm.get(status=Cohort.Status.OPEN)
    assert cohort.sessions.count() == 10
    running = npqlpm.get(status=Cohort.Status.RUNNING)
    assert running.enrolments.count() == 8  # made once, however often the command runs
    application = Application.objects.get(cohort=cohort)
    assert application.applicant.email == "teacher@demo.example"
    assert application.status == A.AWAITING_SCHOOL
    assert application.school.leaderships.get().user.email == "head@demo.example"


# ---- Review fixes: each of these failed before ----


def test_the_applicant_cannot_name_themself_as_approver():
    from applications.services import application_save_answers, application_submit

    application = _application(A.DRAFT)
    application_save_answers(
        application=application,
        answers={"headteacher_email": application.applicant.email.upper()},
    )

    with pytest.raises(ValidationError, match="not your own"):
        application_submit(application=application, by=application.applicant)


def test_emails_describe_the_change_that_caused_them_not_a_later_one(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    application = _application(A.AWAITING_SCHOOL)
    mailoutbox.clear()
    from applications.services import application_school_decide

    with django_capture_on_commit_callbacks(execute=True):
        # Both happen before any worker runs: the school email must still say "approved".
        application_school_decide(
            application=application, approve=True, name="H W", email="h@w.example"
        )
        application_accept(application=application, by=staff)

    subjects = sorted(message.subject for message in mailoutbox)
    assert "Your school has approved your application" in subjects
    assert any(subject.startswith("You have a place") for subject in subjects)


def test_after_a_transfer_the_email_describes_the_place_that_changed(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    source = _open_cohort(capacity=5)
    target = CohortFactory(programme=source.programme, status=Cohort.Status.OPEN, capacity=5)
    enrolment = application_accept(
        application=_application(A.SCHOOL_APPROVED, cohort=source), by=staff
    )
    moved = enrolment_transfer(enrolment=enrolment, to_cohort=target, by=staff, reason="Move")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enrolment_change(enrolment=moved, to=E.DEFERRED, by=staff, reason="parental_leave")

    (message,) = mailoutbox
    assert "is now deferred" in message.body
    assert str(target) in message.body


def test_accepting_leaves_a_place_offered_to_the_waiting_list_alone(staff):
    cohort, enrolment, (first, _second) = _full_cohort_with_waitlist(staff)
    enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="personal")
    newcomer = _application(A.SCHOOL_APPROVED, cohort=cohort)

    with pytest.raises(ValidationError, match="places offered from the waiting list count"):
        application_accept(application=newcomer, by=staff)

    first.refresh_from_db()
    application_take_offer(application=first, by=first.applicant)


def test_when_the_person_offered_a_place_leaves_it_goes_to_the_next(staff):
    from applications.services import application_withdraw

    cohort, enrolment, (first, second) = _full_cohort_with_waitlist(staff)
    enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="personal")

    application_withdraw(application=first, by=first.applicant)

    second.refresh_from_db()
    assert second.offer_expires_at is not None


def test_sending_rechecks_the_answers_and_the_cohort():
    from applications.services import application_save_answers, application_submit

    application = _application(A.DRAFT)
    application_save_answers(application=application, answers={"mastery": "cannot_show"})
    Cohort.objects.filter(pk=application.cohort_id).update(
        status=Cohort.Status.CANCELLED, cancelled_reason="Too few applicants"
    )

    with pytest.raises(ValidationError, match="no longer taking applications"):
        application_submit(application=application, by=application.applicant)


def test_changing_where_you_work_drops_the_school_you_gave():
    from applications.services import application_save_answers

    application = _application(A.DRAFT)
    assert application.answers["school_urn"] == "123456"

    application = application_save_answers(
        application=application, answers={"work_setting": "early_years_or_childcare"}
    )

    assert "school_urn" not in application.answers
    assert application.answers["role"] == "Maths lead"  # still asked, so kept


def test_no_reminder_goes_to_an_approver_who_has_already_decided(
    mailoutbox, django_capture_on_commit_callbacks
):
    from applications.services import application_school_decide

    application = _application(A.AWAITING_SCHOOL)
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        approvals_chase()  # queues the reminder…
        application_school_decide(  # …but the head decides before it is sent
            application=application, approve=True, name="H", email="h@w.example"
        )

    assert not [m for m in mailoutbox if m.to == ["head@oakfield.example"]]


def test_visiting_the_apply_link_changes_nothing_until_the_button(client):
    cohort = _open_cohort()
    sign_in(client, UserFactory())

    page = client.get(reverse("applications:apply", args=[cohort.pk]))

    assert "Start now" in page.content.decode()
    assert not Application.objects.exists()


def test_the_approval_page_refuses_a_forged_link_and_a_decline_without_a_comment(client):
    application = _application(A.AWAITING_SCHOOL)
    from applications.links import approval_token

    forged = client.get(reverse("applications:school-approval", args=["nonsense:token"]))
    url = reverse("applications:school-approval", args=[approval_token(application)])
    decline = client.post(url, {"decision": "decline", "name": "H W", "comment": ""})
    delegate = client.post(
        url, {"delegate": "1", "delegate-email": "deputy@oakfield.example", "delegate-name": "H W"}
    )
    after = client.get(url)

    assert forged.status_code == 404
    assert "Say why you are declining" in decline.content.decode()
    assert "We have emailed deputy@oakfield.example" in delegate.content.decode()
    assert after.status_code == 404  # the link moved to the deputy
    application.refresh_from_db()
    assert application.status == A.AWAITING_SCHOOL


def test_a_decided_application_says_so_on_the_approval_page(client):
    application = _application(A.SCHOOL_APPROVED)
    from applications.links import approval_token

    page = client.get(reverse("applications:school-approval", args=[approval_token(application)]))

    assert "already recorded" in page.content.decode()
    assert "Send my decision" not in page.content.decode()


def test_staff_resend_the_approval_link_to_someone_else(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    application = _application(A.AWAITING_SCHOOL)
    sign_in(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("applications:application-approver", args=[application.pk]),
            {"email": "business.manager@oakfield.example"},
        )

    application.refresh_from_db()
    assert application.approver_email == "business.manager@oakfield.example"
    assert mailoutbox[-1].to == ["business.manager@oakfield.example"]


def test_removing_a_leader_ends_their_view_of_the_school(client):
    leader = UserFactory()
    application = _application(A.AWAITING_SCHOOL)
    leadership = school_leader_confirm(user=leader, school=application.school, by=None)
    sign_in(client, StaffUserFactory())

    client.post(
        reverse("schools:school-leaders", args=[application.school.urn]),
        {"remove": leadership.pk},
    )

    assert Role.SCHOOL_LEADER not in user_roles(leader)
    sign_in(client, leader)
    assert client.get(application.get_absolute_url()).status_code == 404


def test_the_queue_filters_by_the_funding_outcome_that_stands(client, staff):
    from funding.services import funding_decision_override

    overridden = _application(A.SCHOOL_APPROVED)
    funding_decision_override(
        decision=overridden.funding_decision, funded=False, reason="Trust pays", by=staff
    )
    plain = _application(A.SCHOOL_APPROVED, cohort=overridden.cohort)
    sign_in(client, staff)

    funded = client.get(reverse("applications:application-list"), {"funding": "funded"})
    marked = client.get(
        reverse("applications:application-list"), {"funding": "marked_ineligible_by_policy"}
    )

    assert list(funded.context["object_list"]) == [plain]
    assert list(marked.context["object_list"]) == [overridden]


@pytest.mark.parametrize(
    "url_name", ["participants:enrolment-change", "participants:enrolment-transfer"]
)
def test_teachers_and_facilitators_cannot_change_places(client, url_name, staff):
    enrolment = application_accept(application=_application(A.SCHOOL_APPROVED), by=staff)

    for person in (enrolment.participant, StaffUserFactory(roles=[Role.FACILITATOR])):
        sign_in(client, person)
        response = client.post(reverse(url_name, args=[enrolment.pk]), {"to": "withdrawn"})
        assert response.status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == E.ACTIVE


def test_a_school_leader_sees_places_and_the_sessions_their_staff_attend(client, staff):
    from cohorts.services import timetable_publish
    from cohorts.tests.factories import SessionFactory

    leader = UserFactory()
    application = _application(A.SCHOOL_APPROVED)
    application_accept(application=application, by=staff)
    SessionFactory(cohort=application.cohort, title="Culture and Learning clinic", status="draft")
    timetable_publish(cohort=application.cohort, by=staff)
    school_leader_confirm(user=leader, school=application.school, by=staff)
    sign_in(client, leader)

    page = client.get(reverse("participants:school-leader-home")).content.decode()

    assert "Culture and Learning clinic" in page
    assert ">Active<" in page


def test_the_school_leader_page_costs_the_same_queries_however_many_staff_apply(client, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    leader = UserFactory()
    first = _application(A.SCHOOL_APPROVED)
    application_accept(application=first, by=staff)
    school_leader_confirm(user=leader, school=first.school, by=staff)
    sign_in(client, leader)
    client.get(reverse("participants:school-leader-home"))  # warm the session and role caches
    with CaptureQueriesContext(connection) as one_application:
        client.get(reverse("participants:school-leader-home"))
    for _ in range(4):
        application_accept(
            application=_application(A.SCHOOL_APPROVED, cohort=first.cohort), by=staff
        )

    with CaptureQueriesContext(connection) as five_applications:
        page = client.get(reverse("participants:school-leader-home"))

    assert len(page.context["applications"]) == 5
    assert len(five_applications) == len(one_application)


def test_removing_a_leader_with_a_mangled_form_is_not_found_and_changes_nothing(client, staff):
    school = SchoolFactory(urn=111111)
    school_leader_confirm(user=UserFactory(), school=school, by=staff)
    sign_in(client, StaffUserFactory())

    response = client.post(
        reverse("schools:school-leaders", args=[school.urn]), {"remove": "first"}
    )

    assert response.status_code == 404
    assert school.leaderships.count() == 1


def test_deferring_resuming_and_withdrawing_each_send_their_signal(staff):
    sent = []

    def receive(signal_name):
        def receiver(sender, enrolment, **kwargs):
            sent.append((signal_name, enrolment.pk, kwargs.get("reason")))

        return receiver

    receivers = {
        enrolment_deferred: receive("deferred"),
        enrolment_resumed: receive("resumed"),
        enrolment_withdrawn: receive("withdrawn"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, weak=False, dispatch_uid=f"test.{id(receiver)}")
    enrolment = EnrolmentFactory()
    try:
        enrolment_change(enrolment=enrolment, to=E.DEFERRED, by=staff, reason="parental_leave")
        enrolment_change(enrolment=enrolment, to=E.ACTIVE, by=staff)
        enrolment_change(enrolment=enrolment, to=E.WITHDRAWN, by=staff, reason="workload")
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(dispatch_uid=f"test.{id(receiver)}")

    assert sent == [
        ("deferred", enrolment.pk, "parental_leave"),
        ("resumed", enrolment.pk, None),
        ("withdrawn", enrolment.pk, "workload"),
    ]


def test_a_deferral_needs_one_of_the_listed_reasons_and_shows_it_in_words(
    client, staff, django_capture_on_commit_callbacks
):
    """DfE takes one of five reasons for a deferral, so staff choose one; nothing changes
    without it, and the place's history says it in words."""
    enrolment = application_accept(application=_application(A.SCHOOL_APPROVED), by=staff)

    for reason in ("", "Maternity leave"):
        with pytest.raises(ValidationError, match="Choose why the place is deferred"):
            enrolment_change(enrolment=enrolment, to=E.DEFERRED, by=staff, reason=reason)
    enrolment.refresh_from_db()
    assert enrolment.status == E.ACTIVE

    sign_in(client, staff)
    page = client.get(enrolment.application.get_absolute_url()).content.decode()
    assert 'name="to" value="deferred"' in page and "Long-term sickness" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("participants:enrolment-change", args=[enrolment.pk]),
            {"to": "deferred", "reason": "long_term_sickness"},
        )
    enrolment.refresh_from_db()
    assert enrolment.status == E.DEFERRED
    page = client.get(enrolment.application.get_absolute_url()).content.decode()
    assert "Deferred by" in page and ": Long-term sickness" in page
    assert "long_term_sickness" not in page.split("<select")[0]  # the history, before any form
    (message,) = [m for m in mail.outbox if "is now deferred" in m.body]
    assert "Long-term sickness" in message.body and "long_term_sickness" not in message.body


def test_an_applications_page_shows_its_places_histories_and_where_a_place_may_move(client, staff):
    """Staff see the place with its history, the funding decision's overrides (by whom) and
    re-decisions, and the cohorts the place may move to; more history asks nothing more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from funding.models import FundingRedecision

    cohort = _open_cohort(name="Autumn group")
    application = _application(A.SCHOOL_APPROVED, cohort=cohort)
    enrolment = application_accept(application=application, by=staff)
    enrolment_change(enrolment=enrolment, to=E.DEFERRED, by=staff, reason="parental_leave")
    CohortFactory(programme=cohort.programme, name="Spring group", status=Cohort.Status.OPEN)
    CohortFactory(programme=cohort.programme, name="Old group", status=Cohort.Status.COMPLETED)
    decision = application.funding_decision
    FundingRedecision.objects.create(
        decision=decision,
        from_status="awaiting_list",
        from_reason="",
        from_facts={},
        to_status="funded",
        note="The 2026 list came in.",
    )
    sign_in(client, staff)
    override = reverse("applications:funding-override", args=[application.pk])
    client.post(override, {"funded": "0", "reason": "Trust is paying"})

    client.get(application.get_absolute_url())  # on PostgreSQL, prepares its fixed queries
    with CaptureQueriesContext(connection) as first:
        page = client.get(application.get_absolute_url()).content.decode()
    client.post(override, {"funded": "1", "reason": "Trust changed its mind"})
    enrolment_change(enrolment=enrolment, to=E.ACTIVE, by=staff)
    with CaptureQueriesContext(connection) as again:
        client.get(application.get_absolute_url())

    assert f"Deferred by {staff}: Parental leave" in page
    assert f"“Marked not funded by hub policy” by {staff}: Trust is paying" in page
    assert "re-decided from “Awaiting list” to “Funded”. The 2026 list came in." in page
    transfer = page[
        page.index('name="cohort"') : page.index("</select>", page.index('name="cohort"'))
    ]
    assert "Spring group" in transfer and "Old group" not in transfer
    assert "Autumn group" not in transfer  # not to the cohort it is in
    assert len(again.captured_queries) == len(first.captured_queries)
