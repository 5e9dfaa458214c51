"""One query tells the portal who someone is: their roles, permissions and authenticator."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from npq_portal.access import user_access
from npq_portal.models import User
from npq_portal.roles import Role, user_roles
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def _lead_who_may_read_emails() -> int:
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    lead.user_permissions.add(Permission.objects.get(codename="view_emaildelivery"))
    return lead.pk


def test_roles_permissions_and_the_authenticator_come_from_one_query():
    # Read some other way than by id (the way every signed-in request reads the person).
    lead = User.objects.filter(pk=_lead_who_may_read_emails()).first()

    with CaptureQueriesContext(connection) as captured:
        access = user_access(lead)
        roles = user_roles(lead)
        may_decide = lead.has_perm("applications.decide_application")
        may_read_emails = lead.has_perm("npq_portal.view_emaildelivery")
        may_run_the_hub = lead.has_perm("npq_portal.change_user")

    assert len(captured) == 1
    assert Role.PROGRAMME_LEAD in roles and Role.TEACHER in roles
    assert access.has_totp
    assert may_decide and may_read_emails and not may_run_the_hub
    # The same answers Django's own backend gives, asked afresh.
    fresh = User.objects.filter(pk=lead.pk).first()
    assert access.permissions == fresh.get_all_permissions()


def test_a_person_read_by_id_comes_with_their_access_in_the_same_query():
    pk = _lead_who_may_read_emails()
    expected = user_access(User.objects.filter(pk=pk).first())
    User.objects.get(pk=pk)  # on PostgreSQL, a fixed query is prepared on its first use

    with CaptureQueriesContext(connection) as captured:
        lead = User.objects.get(pk=pk)  # what ModelBackend.get_user asks, every request
        access = user_access(lead)
        roles = user_roles(lead)
        may_decide = lead.has_perm("applications.decide_application")
        may_run_the_hub = lead.has_perm("npq_portal.change_user")

    assert len(captured) == 1
    assert access == expected
    assert Role.PROGRAMME_LEAD in roles and access.has_totp
    assert may_decide and not may_run_the_hub
    assert not hasattr(lead, "_npq_access_read")  # read, then put away


def test_a_person_with_no_access_read_by_id_has_none():
    teacher = User.objects.get(pk=UserFactory().pk)

    assert user_access(teacher) == type(user_access(teacher))(frozenset(), frozenset(), False)


def test_a_teacher_has_no_permissions_and_no_authenticator():
    teacher = User.objects.get(pk=UserFactory().pk)

    access = user_access(teacher)

    assert access == type(access)(frozenset(), frozenset(), False)
    assert user_roles(teacher) == [Role.TEACHER]
    assert not teacher.has_perm("applications.view_application")


def test_a_superuser_keeps_every_permission():
    admin = User.objects.get(pk=UserFactory(is_superuser=True).pk)

    user_access(admin)

    assert admin.has_perm("applications.decide_application")
    assert admin.has_perm("anything.at_all")


def test_changing_roles_is_seen_by_the_same_user_object_at_once():
    person = User.objects.get(pk=UserFactory().pk)
    assert not person.has_perm("applications.view_application")

    user_set_roles(user=person, roles=[Role.PROGRAMME_LEAD], by=None, reason="Joined the hub")

    assert Role.PROGRAMME_LEAD in user_roles(person)
    assert person.has_perm("applications.view_application")
