import factory

from npq_portal.tests.factories import UserFactory, bulk
from participants.models import Charge, ChargeEvent, Enrolment


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """An active place; workflow tests make theirs by accepting an application."""

    class Meta:
        model = Enrolment

    participant = factory.SubFactory("npq_portal.tests.factories.UserFactory")
    cohort = factory.SubFactory("cohorts.tests.factories.CohortFactory")


def bulk_enrolments(count: int, *, cohort, **fields) -> list[Enrolment]:
    """`count` places in `cohort`, each for a new participant."""
    return bulk(
        EnrolmentFactory,
        count,
        participant=factory.Iterator(bulk(UserFactory, count)),
        cohort=cohort,
        **fields,
    )


class ChargeFactory(factory.django.DjangoModelFactory):
    """A charge to invoice for a place; workflow tests make theirs by accepting an application."""

    class Meta:
        model = Charge

    enrolment = factory.SubFactory(EnrolmentFactory)
    payer = Charge.Payer.SCHOOL
    payer_name = factory.Sequence(lambda n: f"Oakfield Primary School {n}")
    payer_reference = factory.Sequence(lambda n: str(140000 + n))
    payer_email = "head@oakfield.example"
    payer_town = "Chester"
    payer_postcode = "CH1 4BJ"
    amount = 1250


class ChargeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargeEvent

    charge = factory.SubFactory(ChargeFactory)
    from_status = Charge.Status.TO_INVOICE
    to_status = Charge.Status.INVOICED
