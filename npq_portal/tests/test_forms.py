import pytest

from assessment.forms import AllocationForm
from npq_portal.forms import ModelChoicesField
from npq_portal.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PAST_64_BITS = str(2**63)


@pytest.mark.parametrize("value", [PAST_64_BITS, f"-{PAST_64_BITS}", "1" * 40])
def test_an_id_past_64_bits_is_an_unknown_choice_not_a_server_error(value):
    person = UserFactory()
    field = ModelChoicesField(queryset=User.objects.all())

    with pytest.raises(Exception, match="is not one of the available choices") as refused:
        field.clean([str(person.pk), value])

    assert refused.type.__name__ == "ValidationError"


def test_ids_within_range_are_chosen_as_before():
    people = UserFactory.create_batch(2)
    field = ModelChoicesField(queryset=User.objects.all())

    assert set(field.clean([str(p.pk) for p in people])) == set(people)


def test_a_staff_form_refuses_an_assessor_id_past_64_bits():
    form = AllocationForm(data={"assessors": [PAST_64_BITS]}, assessors=User.objects.all())

    assert not form.is_valid()
    assert "is not one of the available choices" in str(form.errors["assessors"])
