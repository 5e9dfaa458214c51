import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from npq_portal.models import RoleChange
from npq_portal.roles import ROLE_TABLE, Role, user_roles, user_start_url_name
from npq_portal.services import user_set_roles

from .factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_but_teacher_is_a_group_with_exactly_its_listed_permissions():
    for spec in ROLE_TABLE:
        if spec.role == Role.TEACHER:
            assert not Group.objects.filter(name=spec.group_name).exists()
            continue
        group = Group.objects.get(name=spec.group_name)
        held = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == set(spec.permissions), spec.role


def test_everyone_is_a_teacher_and_starts_on_their_highest_roles_page():
    teacher = UserFactory()
    lead_and_facilitator = UserFactory(roles=[Role.FACILITATOR, Role.PROGRAMME_LEAD])

    assert user_roles(teacher) == [Role.TEACHER]
    assert user_start_url_name(teacher) == "participants:teacher-home"
    assert user_roles(lead_and_facilitator) == [
        Role.PROGRAMME_LEAD,
        Role.FACILITATOR,
        Role.TEACHER,
    ]
    assert user_start_url_name(lead_and_facilitator) == "reports:dashboard"


def test_setting_roles_records_each_change_with_who_and_why():
    admin = StaffUserFactory()
    person = UserFactory()

    user_set_roles(user=person, roles=[Role.FACILITATOR], by=admin, reason="Joined maths team")
    user_set_roles(user=person, roles=[Role.ASSESSOR], by=admin, reason="Moved to marking")

    changes = list(RoleChange.objects.filter(user=person).order_by("pk"))
    assert [(c.role, c.granted) for c in changes] == [
        (Role.FACILITATOR, True),
        (Role.ASSESSOR, True),
        (Role.FACILITATOR, False),
    ]
    assert {c.by for c in changes} == {admin}
    assert changes[0].reason == "Joined maths team"
    person.refresh_from_db()
    assert not person.is_staff


def test_hub_administrators_and_leads_may_use_the_django_admin():
    person = UserFactory()

    user_set_roles(user=person, roles=[Role.PROGRAMME_LEAD], by=None)
    person.refresh_from_db()
    assert person.is_staff

    user_set_roles(user=person, roles=[], by=None)
    person.refresh_from_db()
    assert not person.is_staff


def test_an_administrator_cannot_remove_their_own_administrator_role():
    admin = StaffUserFactory()

    with pytest.raises(ValidationError, match="cannot remove your own hub administrator role"):
        user_set_roles(user=admin, roles=[Role.FACILITATOR], by=admin, reason="oops")

    assert user_roles(admin) == [Role.HUB_ADMINISTRATOR, Role.TEACHER]
    assert not RoleChange.objects.filter(reason="oops").exists()


def test_teacher_is_not_a_role_that_can_be_given():
    with pytest.raises(ValidationError, match="cannot be given here: teacher"):
        user_set_roles(user=UserFactory(), roles=[Role.TEACHER], by=None)
