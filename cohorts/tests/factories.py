import datetime

import factory
from django.utils import timezone

from cohorts.models import (
    Cohort,
    DeliveryPartner,
    ModuleWindow,
    SchoolHoliday,
    Session,
    TermDateCalendar,
)
from npq_portal.tests.factories import bulk
from programmes.tests.factories import ProgrammeFactory


class DeliveryPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryPartner
        django_get_or_create = ["name"]

    name = "Generate Teaching School Hub"
    contact_name = "Sam Patel"
    contact_email = "hub@generate.example"
    region = "Cheshire and Wirral"


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Autumn start, group {n}")
    academic_year = 2027
    starts_on = datetime.date(2027, 10, 1)
    ends_on = datetime.date(2028, 7, 14)
    application_deadline = datetime.date(2027, 9, 15)
    delivery_partner = factory.SubFactory(DeliveryPartnerFactory)
    venue = "Hoole Conference Centre, Chester"
    capacity = 30


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    cohort = factory.SubFactory(CohortFactory)
    kind = Session.Kind.CLINIC
    title = factory.Sequence(lambda n: f"Clinic {n}")
    starts_at = datetime.datetime(2027, 11, 9, 16, 0, tzinfo=datetime.UTC)
    ends_at = datetime.datetime(2027, 11, 9, 17, 30, tzinfo=datetime.UTC)
    status = Session.Status.SCHEDULED


class ModuleWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModuleWindow

    cohort = factory.SubFactory(CohortFactory)
    module = factory.SubFactory(
        "programmes.tests.factories.ModuleFactory",
        course__programme=factory.SelfAttribute("...cohort.programme"),
    )
    opens_on = datetime.date(2027, 10, 1)
    study_due_on = datetime.date(2027, 10, 15)
    application_due_on = datetime.date(2027, 10, 29)


class TermDateCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermDateCalendar

    name = factory.Sequence(lambda n: f"Cheshire West and Chester term dates {n}")
    local_authority = "Cheshire West and Chester (896)"


class SchoolHolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolHoliday

    calendar = factory.SubFactory(TermDateCalendarFactory)
    name = "Autumn half term"
    starts_on = datetime.date(2027, 10, 25)
    ends_on = datetime.date(2027, 10, 29)


def bulk_sessions(
    cohort: Cohort, count: int, *, start=None, apart=datetime.timedelta(days=1), **fields
) -> list[Session]:
    """`count` published sessions of `cohort`, a day (or `apart`) apart from `start` (a week
    ahead unless given)."""
    start = start or timezone.now() + datetime.timedelta(days=7)
    starts = [start + n * apart for n in range(count)]
    fields = {"status": Session.Status.SCHEDULED, **fields}
    return bulk(
        SessionFactory,
        count,
        cohort=cohort,
        starts_at=factory.Iterator(starts),
        ends_at=factory.Iterator(s + datetime.timedelta(hours=1) for s in starts),
        **fields,
    )


def bulk_cohorts(count: int, **fields) -> list[Cohort]:
    """`count` cohorts of one programme and partner (new ones unless given)."""
    if "programme" not in fields:
        fields["programme"] = ProgrammeFactory()
    if "delivery_partner" not in fields:
        fields["delivery_partner"] = DeliveryPartnerFactory()
    return bulk(CohortFactory, count, **fields)
