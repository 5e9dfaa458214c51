import pytest
from django.core.exceptions import ValidationError

from npq_portal.tests.factories import UserFactory
from programmes.models import Course, Programme
from programmes.services import (
    catalogue_item_delete,
    catalogue_item_move,
    catalogue_item_save,
    programme_reinstate,
    programme_retire,
)

from .factories import ClinicFactory, CourseFactory, ModuleFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def _titles(programme):
    return list(programme.courses.order_by("position").values_list("title", flat=True))


def test_a_new_course_goes_last_and_marks_the_programme_as_edited():
    programme = ProgrammeFactory()
    CourseFactory(programme=programme, title="Conference", position=0)
    lead = UserFactory()

    course = catalogue_item_save(
        item=Course(programme=programme, title="Culture and Learning"), by=lead
    )

    assert course.position == 1
    programme.refresh_from_db()
    assert programme.edited_by == lead and programme.edited_at is not None


def test_moving_a_course_up_swaps_it_with_the_one_before():
    programme = ProgrammeFactory()
    for title in ["Conference", "Assessment", "Culture and Learning"]:
        catalogue_item_save(item=Course(programme=programme, title=title), by=None)
    culture = programme.courses.get(title="Culture and Learning")

    catalogue_item_move(item=culture, up=True, by=None)

    assert _titles(programme) == ["Conference", "Culture and Learning", "Assessment"]


def test_the_first_item_cannot_move_up_and_nothing_changes():
    module = ModuleFactory(title="Introduce", position=0)
    ModuleFactory(course=module.course, title="Adapt", position=1)

    with pytest.raises(ValidationError, match="“Introduce” is already first"):
        catalogue_item_move(item=module, up=True, by=None)

    assert list(module.course.modules.order_by("position").values_list("title", flat=True)) == [
        "Introduce",
        "Adapt",
    ]
    assert Programme.objects.get().edited_at is None


def test_the_last_clinic_cannot_move_down():
    clinic = ClinicFactory(title="Clinic A")

    with pytest.raises(ValidationError, match="already last"):
        catalogue_item_move(item=clinic, up=False, by=None)


def test_deleting_a_course_closes_the_gap_in_the_order():
    programme = ProgrammeFactory()
    first, middle, last = (
        catalogue_item_save(item=Course(programme=programme, title=t), by=None)
        for t in ["One", "Two", "Three"]
    )

    catalogue_item_delete(item=middle, by=None)

    assert list(programme.courses.order_by("position").values_list("title", "position")) == [
        ("One", 0),
        ("Three", 1),
    ]


def test_retiring_keeps_the_programme_and_its_structure_with_the_reason():
    course = CourseFactory()
    programme = course.programme
    lead = UserFactory()

    programme_retire(programme=programme, by=lead, reason="Replaced by the 2027 framework")

    programme.refresh_from_db()
    assert programme.status == Programme.Status.RETIRED
    assert programme.retired_reason == "Replaced by the 2027 framework"
    assert programme.courses.get() == course
    assert not Programme.objects.offered().exists()


def test_retiring_needs_a_reason_and_changes_nothing_without_one():
    programme = ProgrammeFactory()

    with pytest.raises(ValidationError, match="Say why"):
        programme_retire(programme=programme, by=None, reason="  ")

    programme.refresh_from_db()
    assert programme.status == Programme.Status.OFFERED


def test_a_retired_programme_can_be_put_back_but_not_twice():
    programme = ProgrammeFactory()
    programme_retire(programme=programme, by=None, reason="Paused this year")

    programme_reinstate(programme=programme, by=None)

    programme.refresh_from_db()
    assert programme.status == Programme.Status.OFFERED
    assert programme.retired_at is None
    with pytest.raises(ValidationError, match="is not retired"):
        programme_reinstate(programme=programme, by=None)
