import factory

from programmes.models import Clinic, Course, Module, Programme, RoleSlot


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    slug = factory.Sequence(lambda n: f"npq-test-programme-{n}")
    short_name = factory.Sequence(lambda n: f"NPQT{n}")
    name = factory.Sequence(lambda n: f"NPQ in Test Leadership {n}")
    family = Programme.Family.SPECIALIST
    for_primary = True
    summary = "For teachers who lead a subject across their school."
    who_for = "Teachers who have, or want, responsibility for leading a subject."
    length = "12 months"
    length_months = 12


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    programme = factory.SubFactory(ProgrammeFactory)
    position = factory.Sequence(int)
    kind = Course.Kind.COURSE
    title = factory.Sequence(lambda n: f"Course title {n}")


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(int)
    title = factory.Sequence(lambda n: f"Module {n}")


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(int)
    title = factory.Sequence(lambda n: f"Clinic {n}")


class RoleSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleSlot

    programme = factory.SubFactory(ProgrammeFactory)
    position = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"Year {n % 6 + 1} lead teacher")
    kind = RoleSlot.Kind.LEAD


def work_group_programme(*slots: str, **fields) -> Programme:
    """A Work Group that schools sign up to as teams, with a lead-participant slot per label
    (Mastering Number's three by default)."""
    fields.setdefault("family", Programme.Family.MATHS_HUB)
    programme = ProgrammeFactory(
        participation=Programme.Participation.SCHOOL_TEAM, trn_asked=False, **fields
    )
    for position, label in enumerate(
        slots or ("Reception lead teacher", "Year 1 lead teacher", "Year 2 lead teacher")
    ):
        RoleSlotFactory(programme=programme, position=position, label=label)
    return programme
