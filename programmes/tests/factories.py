import factory

from programmes.models import Clinic, Course, Module, Programme


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
