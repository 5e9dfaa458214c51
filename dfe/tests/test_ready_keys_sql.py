"""What is ready to send, worked out in SQL (`ReadyKeys`), is exactly what the Python it
replaced worked out (kept below as `_ready_keys_python`, unchanged but for its name): the
same declarations, in the same order, blocked for the same reasons; counted and paged alike.
A table of the edge cases, then any places Hypothesis draws: transfers within one DfE
application (and one DfE participant on two applications), live declarations at DfE in each
state, places whose funding does not stand, blocked ones, evidence from after today.

The kept milestone days are written directly (and their cohorts marked current), so that any
days can be drawn; how they are worked out is reports/tests/test_milestone_days.py's."""

from __future__ import annotations

import datetime
import operator
import uuid
from dataclasses import dataclass
from functools import reduce

import pytest
from django.db import transaction
from django.db.models import Case, DateField, Exists, F, OuterRef, Q, QuerySet, When
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from dfe.declarations import (
    BLOCKED_COURSE,
    BLOCKED_NO_PARTNER,
    DELIVERY_PARTNER_REQUIRED_FROM,
    ReadyKey,
    ReadyKeys,
    connection_cohorts,
)
from dfe.models import (
    LIVE_DECLARATION_STATES,
    Connection,
    Declaration,
    DeliveryPartnerLink,
    DfeApplication,
)
from npq_portal.tests.factories import UserFactory
from participants.models import Enrolment
from reports.milestone_days import FIELDS, rules_key, supported_q
from reports.milestones import DECLARATIONS
from reports.models import CohortMilestones, PlaceMilestones

from .declaration_setup import SENIOR_LEADERSHIP, dfe_connection, programme_for

pytestmark = pytest.mark.django_db

HEADSHIP = "npq-headship"
TODAY = datetime.date(2026, 3, 2)
DAYS = (None, TODAY - datetime.timedelta(days=40), TODAY - datetime.timedelta(days=5), TODAY)
LATER = TODAY + datetime.timedelta(days=3)  # evidence kept for a day after today
# The ci profile's 100 examples become 40 (each makes rows); `make fuzz` scales them up.
WITH_DATABASE = settings(
    max_examples=int(40 * settings.default.max_examples / 100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STATES = tuple(Declaration.State.values)
PEOPLE = (("Ada", "Lovelace"), ("Ben", "Adams"), ("Ada", "Lovelace"))  # two with one name


# ---- The Python it replaced ----------------------------------------------------------------


def _linked_enrolments(connection: Connection, cohort: Cohort | None) -> QuerySet:
    enrolments = Enrolment.objects.filter(
        cohort__in=connection_cohorts(connection),
        application__dfe__connection=connection,
        application__dfe__status=DfeApplication.Status.ACCEPTED,
    )
    if cohort is not None:
        enrolments = enrolments.filter(cohort=cohort)
    return enrolments.order_by(
        "cohort__academic_year",
        "cohort__name",
        "cohort_id",
        "participant__last_name",
        "participant__first_name",
        "pk",
    )


def _live_at_dfe(declaration: str) -> Exists:
    return Exists(
        Declaration.objects.filter(
            participant_id=OuterRef("application__dfe__participant_id"),
            course_identifier=OuterRef("application__dfe__course_identifier"),
            declaration_type=declaration,
            state__in=LIVE_DECLARATION_STATES,
        )
    )


def _blocked(
    *, course: str, cohort_year: int, catchment: bool | None, programme_course: str, partners
) -> str:
    if course != programme_course:
        return BLOCKED_COURSE
    if catchment is not False and cohort_year not in partners:
        return BLOCKED_NO_PARTNER if cohort_year >= DELIVERY_PARTNER_REQUIRED_FROM else ""
    return ""


def _ready_keys_python(
    connection: Connection, enrolments: QuerySet, *, today: datetime.date
) -> list[ReadyKey]:
    ready_on = {
        f"ready_{n}": Case(
            When(
                supported_q(declaration, today) & ~_live_at_dfe(declaration),
                then=F(f"kept_milestones__{FIELDS[declaration][1]}"),
            ),
            default=None,
            output_field=DateField(),
        )
        for n, declaration in enumerate(DECLARATIONS)
    }
    rows = list(
        enrolments.annotate(**ready_on)
        .filter(reduce(operator.or_, (Q(**{f"{name}__isnull": False}) for name in ready_on)))
        .values_list(
            "pk",
            "application__dfe__participant_id",
            "application__dfe__course_identifier",
            "application__dfe__cohort_year",
            "application__dfe__teacher_catchment",
            "cohort__programme__course_identifier",
            *ready_on,
        )
    )
    if not rows:
        return []
    partners = set(connection.delivery_partners.values_list("cohort_year", flat=True))
    found: dict[tuple, ReadyKey] = {}
    for pk, participant_id, course, year, catchment, programme_course, *days in rows:
        blocked = _blocked(
            course=course,
            cohort_year=year,
            catchment=catchment,
            programme_course=programme_course,
            partners=partners,
        )
        for declaration, evidenced_on in zip(DECLARATIONS, days, strict=True):
            key = (participant_id, course, declaration)
            if evidenced_on is None:
                continue
            if key not in found or evidenced_on < found[key].evidenced_on:
                found[key] = ReadyKey(pk, declaration, evidenced_on, blocked)
    return list(found.values())


# ---- What is drawn -------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """A portal application linked to DfE's; its places share it (a transfer)."""

    participant: int = 0  # which DfE participant id: two applications may share one
    person: int = 0  # which of PEOPLE applied
    course: str = SENIOR_LEADERSHIP
    cohort_year: int = 2025
    status: str = DfeApplication.Status.ACCEPTED
    catchment: bool | None = True
    own_connection: bool = True


@dataclass(frozen=True)
class Place:
    app: int = 0  # which App
    cohort: int = 0  # which of the hub's cohorts
    days: tuple = (DAYS[1], None, None, None)  # kept evidence days, in DECLARATIONS' order
    funded: bool = True


@dataclass(frozen=True)
class Live:
    """A declaration stored for a DfE participant, course and type, in a state."""

    participant: int = 0
    course: str = SENIOR_LEADERSHIP
    declaration_type: str = "started"
    state: str = Declaration.State.PAID


@dataclass(frozen=True)
class Drawn:
    apps: tuple[App, ...] = (App(),)
    places: tuple[Place, ...] = (Place(),)
    live: tuple[Live, ...] = ()
    partner_years: tuple[int, ...] = (2025,)


class Hub:
    """A connection covering the 2024 and 2025 DfE cohorts of two courses, with cohorts."""

    def __init__(self):
        senior = programme_for(SENIOR_LEADERSHIP)
        headship = programme_for(HEADSHIP)
        self.connection = dfe_connection(senior, headship, cohort_years=(2024, 2025))
        self.other = Connection.objects.create(name="Other", base_url="https://x.example")
        self.cohorts = [
            CohortFactory(programme=senior, academic_year=2025, name="Beta"),
            CohortFactory(programme=senior, academic_year=2025, name="Alpha"),
            CohortFactory(programme=headship, academic_year=2025, name="Alpha"),
            CohortFactory(programme=senior, academic_year=2024, name="Gamma"),
            CohortFactory(programme=senior, academic_year=2023, name="Old"),  # not covered
        ]
        self.people = [UserFactory(first_name=first, last_name=last) for first, last in PEOPLE]
        self.participant_ids = [uuid.uuid4() for _ in range(3)]

    def make(self, drawn: Drawn) -> list[Enrolment]:
        applications = []
        for index, app in enumerate(drawn.apps):  # one person applies once to a cohort
            application = ApplicationFactory(
                applicant=self.people[app.person],
                cohort=self.cohorts[index],
                status=Application.Status.ACCEPTED,
            )
            DfeApplication.objects.create(
                connection=self.connection if app.own_connection else self.other,
                dfe_id=uuid.uuid4(),
                participant_id=self.participant_ids[app.participant],
                course_identifier=app.course,
                cohort_year=app.cohort_year,
                status=app.status,
                teacher_catchment=app.catchment,
                dfe_updated_at=timezone.now(),
                application=application,
            )
            applications.append((application, app))
        places = [
            Enrolment.objects.create(
                participant=self.people[drawn.apps[place.app].person],
                cohort=self.cohorts[place.cohort],
                application=applications[place.app][0],
                status=Enrolment.Status.COMPLETED,  # no one-active-place rule to meet
            )
            for place in drawn.places
        ]
        for year in drawn.partner_years:
            DeliveryPartnerLink.objects.create(
                connection=self.connection,
                cohort_year=year,
                delivery_partner_id=uuid.uuid4(),
                name=f"Partner {year}",
            )
        for live in drawn.live:
            Declaration.objects.create(
                connection=self.connection,
                participant_id=self.participant_ids[live.participant],
                course_identifier=live.course,
                declaration_type=live.declaration_type,
                declaration_date=timezone.now(),
                state=live.state,
            )
        # The drawn days, kept as current: nothing works them out again.
        PlaceMilestones.objects.filter(cohort__in=self.cohorts).delete()
        PlaceMilestones.objects.bulk_create(
            PlaceMilestones(
                enrolment=enrolment,
                cohort_id=enrolment.cohort_id,
                started_due=TODAY,
                retained_1_due=TODAY,
                retained_2_due=TODAY,
                completed_due=TODAY,
                funded=place.funded,
                **{
                    FIELDS[declaration][1]: day
                    for declaration, day in zip(DECLARATIONS, place.days, strict=True)
                },
            )
            for enrolment, place in zip(places, drawn.places, strict=True)
        )
        for cohort in self.cohorts:
            CohortMilestones.objects.update_or_create(
                cohort=cohort, defaults={"version": 9, "worked_out": 9, "rules": rules_key()}
            )
        return places


def _agree(hub: Hub, places: list[Enrolment]) -> None:
    connection = hub.connection
    for cohort in (None, *hub.cohorts):
        expected = _ready_keys_python(
            connection, _linked_enrolments(connection, cohort), today=TODAY
        )
        cohorts = connection_cohorts(connection)
        if cohort is not None:
            cohorts = cohorts.filter(pk=cohort.pk)

        assert list(ReadyKeys(connection, cohorts, today=TODAY)) == expected, cohort
        ready = sum(1 for key in expected if key.ready)
        assert ReadyKeys(connection, cohorts, today=TODAY).counts() == (len(expected), ready)
        paged = ReadyKeys(connection, cohorts, today=TODAY)
        assert paged.page(1, 3) == expected[1:3]
        assert paged.counts() == (len(expected), ready) or not expected[1:3]
        # With the counts given (as kept), a page reads only its cohorts' claims.
        counted = ReadyKeys(connection, cohorts, today=TODAY).listed_counts()
        assert (counted.total, counted.ready) == (len(expected), ready)
        assert sum(listed for _, listed in counted.listed) == len(expected)
        assert list(ReadyKeys(connection, cohorts, today=TODAY, counted=counted)) == expected
    # Every window of two and of five, across the cohorts' boundaries (a page is put in order
    # only within the cohorts it falls in) and past the end, counting as it pages and with
    # the counts given.
    everyone = connection_cohorts(connection)
    expected = _ready_keys_python(connection, _linked_enrolments(connection, None), today=TODAY)
    counted = ReadyKeys(connection, everyone, today=TODAY).listed_counts()
    for start in range(len(expected) + 1):
        for size in (2, 5):
            for counts_given in (None, counted):
                keys = ReadyKeys(connection, everyone, today=TODAY, counted=counts_given)
                assert keys.page(start, start + size) == expected[start : start + size], (
                    start,
                    size,
                    counts_given,
                )
    for place in places:  # one place, as sending one reads it
        expected = _ready_keys_python(
            connection, _linked_enrolments(connection, None).filter(pk=place.pk), today=TODAY
        )
        one = ReadyKeys(
            connection,
            connection_cohorts(connection).filter(pk=place.cohort_id),
            today=TODAY,
            enrolment_id=place.pk,
        )
        assert list(one) == expected, place.pk


@pytest.fixture
def hub():
    return Hub()


# ---- The table -----------------------------------------------------------------------------

D1, D2, D3 = DAYS[1], DAYS[2], DAYS[3]
CASES = {
    "nothing supported": Drawn(places=(Place(days=(None, None, None, None)),)),
    "evidence from after today is not ready yet": Drawn(places=(Place(days=(LATER,) * 4),)),
    "every type, in order": Drawn(places=(Place(days=(D1, D2, D3, D3)),)),
    "a transfer claims once, on the earliest day": Drawn(
        places=(
            Place(cohort=0, days=(D2, D3, None, None)),
            Place(cohort=1, days=(D1, D2, D3, None)),
        )
    ),
    "a transfer's tie goes to the first place listed": Drawn(
        places=(
            Place(cohort=0, days=(D1, None, None, None)),
            Place(cohort=1, days=(D1, None, None, None)),
        )
    ),
    "a transfer into another course is blocked where it is claimed": Drawn(
        places=(
            Place(cohort=2, days=(D1, None, None, None)),
            Place(cohort=0, days=(D2, D2, None, None)),
        )
    ),
    "one DfE participant on two applications claims once": Drawn(
        apps=(App(person=0), App(person=1)),
        places=(
            Place(app=0, days=(D2, None, None, None)),
            Place(app=1, cohort=1, days=(D1, None, None, None)),
        ),
    ),
    "live at DfE in each state": Drawn(
        apps=(App(participant=0), App(participant=1, person=1), App(participant=2, person=2)),
        places=tuple(Place(app=n, cohort=n, days=(D1, D1, D1, D1)) for n in range(3)),
        live=tuple(
            Live(participant=n % 3, declaration_type=DECLARATIONS[n // 3], state=state)
            for n, state in enumerate(STATES)
        ),
    ),
    "no delivery partner: blocked from 2024, not before, nor outside the catchment": Drawn(
        apps=(
            App(cohort_year=2024),
            App(cohort_year=2023, person=1, participant=1),
            App(catchment=False, person=2, participant=2, cohort_year=2024),
        ),
        places=(
            Place(app=0, cohort=3),
            Place(app=1, cohort=3),
            Place(app=2, cohort=3, funded=False),
        ),
        partner_years=(),
    ),
    "unknown catchment needs a partner": Drawn(apps=(App(catchment=None),), partner_years=(2024,)),
    "not accepted, another connection's, an uncovered cohort": Drawn(
        apps=(
            App(status=DfeApplication.Status.PENDING),
            App(own_connection=False, participant=1),
            App(participant=2),
        ),
        places=(Place(app=0), Place(app=1), Place(app=2, cohort=4)),
    ),
}


@pytest.mark.parametrize("drawn", CASES.values(), ids=CASES.keys())
def test_sql_and_python_agree_on_each_edge_case(hub, drawn):
    places = hub.make(drawn)

    _agree(hub, places)


# ---- Any drawn -----------------------------------------------------------------------------

apps = st.builds(
    App,
    participant=st.integers(0, 2),
    person=st.integers(0, 2),
    course=st.sampled_from([SENIOR_LEADERSHIP, HEADSHIP]),
    cohort_year=st.sampled_from([2023, 2024, 2025]),
    status=st.sampled_from([DfeApplication.Status.ACCEPTED] * 3 + [DfeApplication.Status.PENDING]),
    catchment=st.sampled_from([True, False, None]),
    own_connection=st.sampled_from([True, True, True, False]),
)
drawn_hubs = st.integers(1, 4).flatmap(
    lambda count: st.builds(
        Drawn,
        apps=st.lists(apps, min_size=count, max_size=count).map(tuple),
        places=st.lists(
            st.builds(
                Place,
                app=st.integers(0, count - 1),
                cohort=st.integers(0, 4),
                days=st.tuples(*[st.sampled_from((*DAYS, LATER))] * 4),
                funded=st.booleans(),
            ),
            min_size=1,
            max_size=6,
        ).map(tuple),
        live=st.lists(
            st.builds(
                Live,
                participant=st.integers(0, 2),
                course=st.sampled_from([SENIOR_LEADERSHIP, HEADSHIP]),
                declaration_type=st.sampled_from(DECLARATIONS),
                state=st.sampled_from(STATES),
            ),
            max_size=5,
            unique_by=lambda live: (live.participant, live.course, live.declaration_type),
        ).map(tuple),
        partner_years=st.lists(st.sampled_from([2023, 2024, 2025]), unique=True).map(tuple),
    )
)


class _RolledBack(Exception):
    pass


@WITH_DATABASE
@given(drawn=drawn_hubs)
@example(drawn=CASES["a transfer claims once, on the earliest day"])
def test_sql_and_python_agree_on_any_places(hub, drawn):
    try:
        with transaction.atomic():
            _agree(hub, hub.make(drawn))
            raise _RolledBack
    except _RolledBack:
        pass
