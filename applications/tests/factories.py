import factory
from django.utils import timezone

from applications.models import Application, TeamMember
from npq_portal.tests.factories import UserFactory, bulk
from schools.tests.factories import SchoolFactory, bulk_schools


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


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    application = factory.SubFactory(ApplicationFactory, team=True)
    first_name = factory.Sequence(lambda n: f"Teacher{n}")
    last_name = "Lead"
    email = factory.Sequence(lambda n: f"lead{n}@school.example")


def team_sign_up(*, cohort, school=None, status=Application.Status.SCHOOL_APPROVED, **fields):
    """A school's team sign-up for a Work Group cohort with one person named in each of the
    programme's role slots, in the state given."""
    fields = {"team": True, "submitted_at": timezone.now(), **fields}
    if school is not None:
        fields["school"] = school
    application = ApplicationFactory(cohort=cohort, status=status, **fields)
    for slot in cohort.programme.role_slots.all():
        TeamMemberFactory(application=application, slot=slot)
    return application
