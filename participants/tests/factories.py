import factory
from django.utils import timezone

from npq_portal.tests.factories import UserFactory, bulk
from participants.models import Application, Enrolment, School, normalise_name, normalise_postcode


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ["urn"]

    urn = factory.Sequence(lambda n: 140000 + n)
    name = factory.Sequence(lambda n: f"Oakfield Primary School {n}")
    name_normalised = factory.LazyAttribute(lambda school: normalise_name(school.name))
    la_code = "875"
    la_name = "Cheshire West and Chester"
    establishment_type_code = 34
    establishment_type_name = "Academy converter"
    status_code = School.Status.OPEN
    phase_name = "Primary"
    town = "Chester"
    postcode = "CH1 2AB"
    postcode_normalised = factory.LazyAttribute(lambda school: normalise_postcode(school.postcode))
    number_of_pupils = 210


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application in the state given; workflow tests build theirs through the services."""

    class Meta:
        model = Application

    applicant = factory.SubFactory("npq_portal.tests.factories.UserFactory")
    cohort = factory.SubFactory("cohorts.tests.factories.CohortFactory")
    school = factory.SubFactory(SchoolFactory)
    status = Application.Status.AWAITING_SCHOOL
    headteacher_name = "Helen Whitfield"
    approver_email = "head@oakfield.example"


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """An active place; workflow tests make theirs by accepting an application."""

    class Meta:
        model = Enrolment

    participant = factory.SubFactory("npq_portal.tests.factories.UserFactory")
    cohort = factory.SubFactory("cohorts.tests.factories.CohortFactory")


def bulk_schools(count: int, **fields) -> list[School]:
    return bulk(SchoolFactory, count, **fields)


def bulk_applications(count: int, *, cohort, **fields) -> list[Application]:
    """`count` sent applications to `cohort` (or one each to the cohorts given as
    factory.Iterator), each from a new applicant at a new school unless `school` is given."""
    fields.setdefault("submitted_at", timezone.now())
    if "school" not in fields:
        fields["school"] = factory.Iterator(bulk_schools(count))
    return bulk(
        ApplicationFactory,
        count,
        applicant=factory.Iterator(bulk(UserFactory, count)),
        cohort=cohort,
        **fields,
    )


def bulk_enrolments(count: int, *, cohort, **fields) -> list[Enrolment]:
    """`count` places in `cohort`, each for a new participant."""
    return bulk(
        EnrolmentFactory,
        count,
        participant=factory.Iterator(bulk(UserFactory, count)),
        cohort=cohort,
        **fields,
    )
