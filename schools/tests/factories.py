import factory

from npq_portal.tests.factories import bulk
from schools.models import School, normalise_name, normalise_postcode


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


def bulk_schools(count: int, **fields) -> list[School]:
    return bulk(SchoolFactory, count, **fields)
