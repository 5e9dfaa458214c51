import factory

from npq_portal.tests.factories import UserFactory, bulk
from participants.models import Enrolment


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
