"""A school leader approves in the portal, as from the emailed link: same page, same record."""

import pytest
from django.urls import reverse

from applications.links import approval_token
from applications.models import Application
from npq_portal.roles import Role
from npq_portal.tests.factories import UserFactory, sign_in
from schools.models import SchoolLeadership

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def _waiting_for(leader) -> Application:
    application = ApplicationFactory(
        status=Application.Status.AWAITING_SCHOOL, submitted_at="2026-11-01T10:00Z"
    )
    SchoolLeadership.objects.create(user=leader, school=application.school)
    return application


def test_my_school_lists_what_waits_and_the_leader_approves_there(client):
    leader = UserFactory(roles=[Role.SCHOOL_LEADER], first_name="Helen", last_name="Whitfield")
    application = _waiting_for(leader)
    sign_in(client, leader)
    decide = reverse("applications:school-leader-approval", args=[application.pk])

    home = client.get(reverse("participants:school-leader-home")).content.decode()
    page = client.get(decide)
    client.post(decide, {"decision": "approve", "name": "Helen Whitfield", "comment": ""})

    assert decide in home and "Waiting for your decision" in home
    assert page.status_code == 200
    assert page.context["decision_form"].initial == {"name": "Helen Whitfield"}
    application.refresh_from_db()
    assert application.status == Application.Status.SCHOOL_APPROVED
    assert (application.school_decided_by, application.school_decided_by_email) == (
        "Helen Whitfield",
        leader.email,
    )
    event = application.events.last()
    assert (event.by, event.by_name, event.to_status) == (
        leader,
        "Helen Whitfield",
        "school_approved",
    )


def test_once_the_leader_decided_the_emailed_link_says_so_and_changes_nothing(client):
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    application = _waiting_for(leader)
    link = reverse("applications:school-approval", args=[approval_token(application)])
    sign_in(client, leader)
    client.post(
        reverse("applications:school-leader-approval", args=[application.pk]),
        {"decision": "decline", "name": "H Whitfield", "comment": "Not this year."},
    )
    client.logout()

    response = client.get(link)
    client.post(link, {"decision": "approve", "name": "Someone else", "comment": ""})

    application.refresh_from_db()
    assert application.status == Application.Status.SCHOOL_DECLINED
    assert application.school_decided_by == "H Whitfield"
    assert "already" in response.content.decode().lower()


def test_a_decided_application_is_no_longer_on_the_leaders_page_to_decide(client):
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    application = _waiting_for(leader)
    application.status = Application.Status.SCHOOL_APPROVED
    application.save()
    sign_in(client, leader)

    response = client.get(reverse("applications:school-leader-approval", args=[application.pk]))

    assert response.status_code == 404
