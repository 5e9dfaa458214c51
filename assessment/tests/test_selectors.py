import pytest

from assessment.selectors import assessors_active
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory

from .marking import assessor

pytestmark = pytest.mark.django_db


def test_work_can_go_to_assessors_who_may_sign_in_by_first_name():
    ben = assessor(first_name="Ben", last_name="Adams")
    ann = assessor(first_name="Ann", last_name="Zeal")
    assessor(first_name="Ada", is_active=False)  # left: cannot sign in to mark
    StaffUserFactory(first_name="Aaron", roles=[Role.PROGRAMME_LEAD])

    assert list(assessors_active()) == [ann, ben]
