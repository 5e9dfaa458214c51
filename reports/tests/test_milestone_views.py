"""The DfE milestone page as each role, its filters and its query count."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from applications.models import Application
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Enrolment
from participants.services import enrolment_change
from participants.tests.factories import EnrolmentFactory
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory
from reports import milestone_days
from reports.forms import MilestoneFilterForm
from reports.milestone_days import (
    MilestoneCohorts,
    PlacesInOrder,
    claimable_q,
    due_q,
    milestone_counts,
    milestone_filter_choices,
    milestones_bring_up_to_date,
    with_next_due,
)
from reports.milestones import STOPPED, SUPPORTED
from reports.selectors import MILESTONE_ORDER

from .helpers import (
    at,
    finish_phase,
    funded_place,
    leadership_cohort,
    module_window,
    released_outcome,
    session,
    take_register,
)

pytestmark = pytest.mark.django_db
TODAY = at(2027, 12, 1, 10)  # before the started milestone, 22 December 2027


def _person(first_name, last_name):
    return UserFactory(first_name=first_name, last_name=last_name)


@pytest.fixture
def cohort_with_places():
    """Three sessions (two with registers by 1 December) and one module (two phases): five
    pieces of evidence each, so retained-1 needs two and retained-2 three."""
    with time_machine.travel(at(2027, 9, 1)):
        cohort = leadership_cohort(name="Autumn start, Chester")
        places = {
            name: funded_place(cohort, _person(name, "Tester"))
            for name in ("Ada", "Ben", "Cat", "Dan")
        }
    october, november = session(cohort, at(2027, 10, 12)), session(cohort, at(2027, 11, 9))
    session(cohort, at(2028, 1, 18))
    module_window(
        cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 29),
        application_due_on=datetime.date(2027, 12, 10),
    )
    ada, ben, cat, dan = places.values()
    take_register(october, {ada: "present", ben: "absent", cat: "present", dan: "present"})
    with time_machine.travel(at(2027, 10, 20)):
        enrolment_change(enrolment=dan, to="withdrawn", by=StaffUserFactory(), reason="workload")
    take_register(november, {ada: "present", ben: "absent", cat: "absent"})
    return cohort, places


def _row(response, name):
    rows = response.context["page_obj"].object_list
    return next(row for row in rows if row.enrolment.participant.first_name == name)


@time_machine.travel(TODAY)
def test_a_hub_administrator_sees_what_each_place_can_claim(client, cohort_with_places):
    cohort, places = cohort_with_places
    maths_hub = CohortFactory(programme=ProgrammeFactory(family=Programme.Family.MATHS_HUB))
    EnrolmentFactory(cohort=maths_hub, participant=_person("Max", "Mastery"))
    sign_in(client, StaffUserFactory())

    response = client.get(reverse("reports:milestone-list"))

    assert response.status_code == 200
    names = [row.enrolment.participant.first_name for row in response.context["page_obj"]]
    assert names == ["Ada", "Ben", "Cat", "Dan"]  # no Maths Hub place: it has no declarations
    ada, ben, cat, dan = (_row(response, name) for name in ("Ada", "Ben", "Cat", "Dan"))
    assert [d.state for d in ada.status.declarations][:2] == [SUPPORTED, SUPPORTED]
    assert [d.declaration for d in ada.status.claimable] == ["started", "retained-1"]
    assert ada.status.declarations[1].evidenced_on == datetime.date(2027, 11, 9)
    assert [d.declaration for d in ben.status.due] == ["started"]
    assert ben.status.next_milestone_on == datetime.date(2027, 12, 22)
    assert [d.declaration for d in cat.status.claimable] == ["started"]
    assert [d.state for d in dan.status.declarations] == [SUPPORTED, STOPPED, STOPPED, STOPPED]
    assert dan.status.next_milestone_on is None
    assert response.context["counts"] == {"all": 4, "claimable": 3, "due": 1}
    page = response.content.decode()
    assert "Claimable" in page and "22 Dec 2027" in page
    assert "None while withdrawn" in page
    assert "Max" not in page


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    "show, names",
    [("claimable", ["Ada", "Cat", "Dan"]), ("due", ["Ben"]), ("", ["Ada", "Ben", "Cat", "Dan"])],
)
def test_the_page_shows_what_is_claimable_or_due_and_not_supported(
    client, cohort_with_places, show, names
):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(reverse("reports:milestone-list"), {"show": show})

    assert [row.enrolment.participant.first_name for row in response.context["page_obj"]] == names


@time_machine.travel(TODAY)
def test_filters_by_cohort_year_and_programme(client, cohort_with_places):
    cohort, _ = cohort_with_places
    with time_machine.travel(at(2027, 9, 1)):
        later = leadership_cohort(name="Spring start", academic_year=2028)
        funded_place(later, _person("Eve", "Later"))
    sign_in(client, StaffUserFactory())
    url = reverse("reports:milestone-list")

    def names(**query):
        response = client.get(url, query)
        return [row.enrolment.participant.first_name for row in response.context["page_obj"]]

    assert names(cohort=later.pk) == ["Eve"]
    assert names(academic_year=2028) == ["Eve"]
    assert names(programme=cohort.programme_id) == ["Ada", "Ben", "Cat", "Dan"]
    assert names(programme=cohort.programme_id, show="due") == ["Ben"]


@time_machine.travel(TODAY)
def test_a_facilitator_sees_their_own_cohorts_places_and_not_anothers(client, cohort_with_places):
    cohort, _ = cohort_with_places
    with time_machine.travel(at(2027, 9, 1)):
        other = leadership_cohort(name="Somebody else's")
        EnrolmentFactory(cohort=other, participant=_person("Olly", "Other"))
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(facilitator)
    sign_in(client, facilitator)

    theirs = client.get(reverse("reports:cohort-milestones", args=[cohort.pk]))
    everything = client.get(reverse("reports:milestone-list"))
    not_theirs = client.get(reverse("reports:cohort-milestones", args=[other.pk]))
    filtered = client.get(reverse("reports:milestone-list"), {"cohort": other.pk})

    assert theirs.status_code == 200
    assert len(theirs.context["page_obj"].object_list) == 4
    assert "Olly" not in everything.content.decode()
    assert not_theirs.status_code == 404
    assert filtered.status_code == 404
    # The filters offer their cohorts alone, even when another's is asked for.
    options = [value for value, _ in everything.context["filters"].fields["cohort"].choices]
    assert options == ["", cohort.pk]
    asked = client.get(
        reverse("reports:milestone-list"), {"cohort": other.pk, "academic_year": "all"}
    )
    assert asked.status_code == 404


@pytest.mark.parametrize("role", [None, Role.ASSESSOR, Role.SCHOOL_LEADER])
def test_teachers_assessors_and_school_leaders_are_refused(client, role):
    cohort = leadership_cohort()
    person = StaffUserFactory(roles=[role]) if role == Role.ASSESSOR else UserFactory()
    if role == Role.SCHOOL_LEADER:
        person = UserFactory(roles=[Role.SCHOOL_LEADER])
    sign_in(client, person)

    assert client.get(reverse("reports:milestone-list")).status_code == 403
    assert client.get(reverse("reports:cohort-milestones", args=[cohort.pk])).status_code == 403


@time_machine.travel(TODAY)
def test_staff_reach_it_from_the_dashboard_and_the_cohort_page(client, cohort_with_places):
    cohort, _ = cohort_with_places
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    cohort_page = client.get(cohort.get_absolute_url()).content.decode()

    assert f'href="{reverse("reports:milestone-list")}"' in dashboard
    assert reverse("reports:cohort-milestones", args=[cohort.pk]) in cohort_page


def test_the_page_says_when_there_are_no_places(client):
    sign_in(client, StaffUserFactory())

    response = client.get(reverse("reports:milestone-list"))

    assert "No places on DfE-funded NPQs yet" in response.content.decode()


def _places(count):
    """`count` places, each with registers, a module phase, and for some a result or a
    withdrawal: every kind of fact the page reads."""
    with time_machine.travel(at(2027, 9, 1)):
        cohort = leadership_cohort()
        places = [funded_place(cohort, UserFactory()) for _ in range(count)]
    first, second = session(cohort, at(2027, 10, 12)), session(cohort, at(2027, 11, 9))
    window = module_window(
        cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 29),
        application_due_on=datetime.date(2027, 12, 10),
    )
    take_register(first, {place: "present" for place in places})
    take_register(second, {place: "late" for place in places[::2]})
    for place in places[::3]:
        finish_phase(place, window, "study", at(2027, 10, 20))
    released_outcome(places[0], "passed", at(2027, 11, 20))
    with time_machine.travel(at(2027, 11, 25)):
        enrolment_change(enrolment=places[-1], to="deferred", by=StaffUserFactory(), reason="other")
    return places


@time_machine.travel(TODAY)
@pytest.mark.parametrize("count", [3, 30])
def test_the_query_count_does_not_grow_with_the_places(
    client, count, django_assert_max_num_queries
):
    _places(count)
    sign_in(client, StaffUserFactory())
    url = reverse("reports:milestone-list")
    client.get(url)  # warm the session and role caches

    # Session, user, MFA, permissions (2), role groups; the filters' years, cohorts and
    # programmes (4); the places; participation's five; phase dates and results.
    with django_assert_max_num_queries(19):
        response = client.get(url, {"show": "claimable"})

    assert response.context["counts"]["all"] == count


def test_only_funded_places_are_listed_unless_asked_for_every_place(client, cohort_with_places):
    cohort, _ = cohort_with_places
    EnrolmentFactory(cohort=cohort, participant=_person("Eve", "Selfpaying"))
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    def listed(query=""):
        response = client.get(reverse("reports:milestone-list") + query)
        return sorted(row.enrolment.participant.first_name for row in response.context["page_obj"])

    assert listed() == ["Ada", "Ben", "Cat", "Dan"]
    assert listed("?places=all") == ["Ada", "Ben", "Cat", "Dan", "Eve"]


@time_machine.travel(at(2029, 8, 1, 10))
def test_by_default_only_cohorts_with_a_milestone_to_come_are_listed(client, cohort_with_places):
    """The cohort ends 31 March 2029, its completed milestone 29 July 2029 (120 days on): on 1
    August 2029 it has none to come, so it leaves the default list, still a filter away."""
    cohort, _ = cohort_with_places
    with time_machine.travel(at(2028, 9, 1)):
        running = leadership_cohort(
            name="Still running",
            academic_year=2028,
            starts_on=datetime.date(2028, 10, 1),
            ends_on=datetime.date(2030, 3, 31),
        )
        funded_place(running, _person("Eve", "Current"))
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    url = reverse("reports:milestone-list")

    def shown(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        names = sorted(row.enrolment.participant.first_name for row in response.context["page_obj"])
        options = [label for _, label in response.context["filters"].fields["cohort"].choices]
        return names, options

    names, options = shown()
    assert names == ["Eve"]
    assert len(options) == 2 and "Still running" in options[1]
    page = client.get(url).content.decode()
    assert "Showing cohorts with a milestone still to come" in page
    assert "ended on or after 3 April 2029" in page  # 120 days before 1 August 2029

    assert shown(academic_year="all")[0] == ["Ada", "Ben", "Cat", "Dan", "Eve"]
    assert shown(academic_year=2027)[0] == ["Ada", "Ben", "Cat", "Dan"]
    # A cohort chosen is listed whatever its year, and offered among the options.
    names, options = shown(cohort=cohort.pk)
    assert names == ["Ada", "Ben", "Cat", "Dan"]
    assert any("Autumn start" in label for label in options)
    assert "milestone still to come" not in client.get(url, {"cohort": cohort.pk}).content.decode()
    # A year that is not offered lists the default and says it is not a choice.
    response = client.get(url, {"academic_year": "1999"})
    assert sorted(r.enrolment.participant.first_name for r in response.context["page_obj"]) == [
        "Eve"
    ]
    assert response.context["filters"].errors["academic_year"]


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("funded_only", "show", "slots"),
    [
        (False, "all", 25),
        (True, "all", 25),
        (False, "claimable", 25),
        (True, "due", 25),
        (False, "all", 2),  # a slice falling in more cohorts than a page's slots: composed
    ],
)
def test_places_are_paged_in_order_sorting_only_the_cohorts_a_page_falls_in(
    funded_only, show, slots, monkeypatch
):
    """Every slice of PlacesInOrder is that slice of all the places listed sorted in
    MILESTONE_ORDER (every place or the funded ones; all, claimable or due), with cohorts of
    different years, starts and sizes (one with no place listed)."""
    monkeypatch.setattr(milestone_days, "PAGE_PLACES", slots)
    with time_machine.travel(at(2027, 9, 1)):
        cohorts = [
            leadership_cohort(name="B later", starts_on=datetime.date(2027, 11, 1)),
            leadership_cohort(name="A earlier"),
            leadership_cohort(name="C next year", academic_year=2028),
            leadership_cohort(name="D empty"),
        ]
        places = {
            cohort.pk: [
                funded_place(cohort, _person(f"P{n}", f"{'ZYXWV'[n]}-{cohort.name}"))
                for n in range(size)
            ]
            for cohort, size in zip(cohorts, (4, 3, 5, 0), strict=True)
        }
    # Some places' started declaration supported (claimable), the others' due.
    for cohort in cohorts[:3]:
        take_register(
            session(cohort, at(2027, 11, 10)),
            {place: "present" for place in places[cohort.pk][1:3]},
        )
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
    today = TODAY.date()
    places = Enrolment.objects.all()
    if funded_only:
        places = places.filter(kept_milestones__funded=True)
    places = with_next_due(places, today)
    if show != "all":
        places = places.filter((claimable_q if show == "claimable" else due_q)(today))
    expected = list(places.order_by(*MILESTONE_ORDER).values_list("pk", flat=True))
    counts = milestone_counts(Cohort.objects.all(), today, funded_only=funded_only)
    in_order = PlacesInOrder(counts, show, today, funded_only=funded_only)

    assert len(in_order) == len(expected)
    assert len(expected) == (12 if show == "all" else 6)
    assert [c.cohort_id for c in counts] == [cohorts[2].pk, cohorts[1].pk, cohorts[0].pk]
    for start in range(13):
        for stop in range(start, 14):
            assert in_order[start:stop] == expected[start:stop], (start, stop)
    with pytest.raises(TypeError):
        in_order[3]


@time_machine.travel(TODAY)
def test_the_second_page_follows_the_first(client, cohort_with_places):
    cohort, _ = cohort_with_places
    with time_machine.travel(at(2027, 9, 1)):
        for n in range(30):
            funded_place(cohort, _person(f"Extra{n:02}", "Person"))
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    url = reverse("reports:milestone-list")

    first = client.get(url).context["page_obj"]
    second = client.get(url, {"page": 2}).context["page_obj"]

    ids = [row.enrolment.pk for row in [*first.object_list, *second.object_list]]
    assert ids == list(
        Enrolment.objects.filter(cohort=cohort)
        .order_by(*MILESTONE_ORDER)
        .values_list("pk", flat=True)
    )
    assert first.paginator.count == 34 and len(second.object_list) == 9


def test_the_filters_offer_the_programmes_by_name_and_the_years_latest_first():
    later = leadership_cohort(academic_year=2028)
    earlier = leadership_cohort(academic_year=2026)
    Programme.objects.filter(pk=later.programme_id).update(name="B later", short_name="BL")
    Programme.objects.filter(pk=earlier.programme_id).update(name="A earlier", short_name="AE")
    CohortFactory(programme=later.programme, academic_year=2026)

    programmes, years = MilestoneFilterForm.choices_from(
        milestone_filter_choices(MilestoneCohorts())
    )

    assert programmes == [(earlier.programme_id, "AE"), (later.programme_id, "BL")]
    assert years == [2028, 2026]


def test_cells_alike_are_drawn_once_a_page_and_each_row_says_why_its_own_are_not_due():
    from types import SimpleNamespace

    from npq_portal.templatetags.dates import LocalDates
    from reports.milestones import DUE, DeclarationState
    from reports.templatetags.milestone_cells import _cell, _cells

    today = datetime.date(2026, 3, 1)
    due = DeclarationState("started", datetime.date(2026, 4, 1), DUE)
    stopped = DeclarationState("retained-1", datetime.date(2026, 6, 1), STOPPED)
    rows = [
        SimpleNamespace(enrolment=Enrolment(status=status), cells=[due, stopped, None])
        for status in ("deferred", "withdrawn", "deferred")
    ]
    dates, drawn = LocalDates(), {}

    html = [_cells(row, today, dates, drawn) for row in rows]

    assert html == [
        "".join(f"<td>{_cell(cell, today, status, dates)}</td>" for cell in (due, stopped, None))
        for status in ("deferred", "withdrawn", "deferred")
    ]
    assert "Not due while deferred" in html[0] and "Not due while withdrawn" in html[1]
    assert len(drawn) == 6  # three kinds of cell for each of two statuses


# ---- The listing kept (reports/milestone_days.py milestone_listing_kept) ----


def _options(response) -> list:
    return [(pk, label) for pk, label in response.context["filters"].fields["cohort"].choices if pk]


@time_machine.travel(TODAY)
def test_a_second_visit_reads_the_listing_kept_not_every_cohort(
    client, cohort_with_places, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import views

    cohort, _ = cohort_with_places
    sign_in(client, StaffUserFactory())
    url = reverse("reports:milestone-list")
    with CaptureQueriesContext(connection) as afresh:
        first = client.get(url)

    def not_again(*args, **kwargs):
        raise AssertionError("read again though nothing changed")

    # Neither the filters' choices and options nor the cohorts' counts are read again.
    for name in ("milestone_filter_choices", "milestone_cohort_options", "milestone_counted"):
        monkeypatch.setattr(views, name, not_again)
    with CaptureQueriesContext(connection) as kept:
        second = client.get(url)

    assert (
        second.context["counts"] == first.context["counts"] == {"all": 4, "claimable": 3, "due": 1}
    )
    assert _options(second) == _options(first)
    assert len(_options(second)) == 1 and cohort.name in _options(second)[0][1]
    assert len(kept.captured_queries) < len(afresh.captured_queries)


def _withdraw_ben(cohort, places, facilitator):
    enrolment_change(enrolment=places["Ben"], to="withdrawn", by=facilitator, reason="workload")


def _one_more_place(cohort, places, facilitator):
    funded_place(cohort, _person("Eve", "Tester"))


def _cohort_renamed(cohort, places, facilitator):
    cohort.name = "Spring start, Crewe"
    cohort.save()


def _programme_renamed(cohort, places, facilitator):
    cohort.programme.short_name = "NPQLX"
    cohort.programme.save()


def _cohort_deleted(cohort, places, facilitator):
    Enrolment.objects.filter(cohort=cohort).delete()
    Application.objects.filter(cohort=cohort).delete()
    cohort.delete()


def _facilitator_removed(cohort, places, facilitator):
    cohort.facilitators.remove(facilitator)


def _register_taken(cohort, places, facilitator):
    register = session(cohort, at(2027, 11, 23))
    take_register(register, {places["Ben"]: "present"})


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    "change, counts, option",
    [
        (_withdraw_ben, {"all": 4, "claimable": 3, "due": 0}, "Autumn start, Chester"),
        (_one_more_place, {"all": 5, "claimable": 3, "due": 2}, "Autumn start, Chester"),
        (_cohort_renamed, {"all": 4, "claimable": 3, "due": 1}, "Spring start, Crewe"),
        (_programme_renamed, {"all": 4, "claimable": 3, "due": 1}, "NPQLX"),
        (_cohort_deleted, {"all": 0, "claimable": 0, "due": 0}, None),
        (_facilitator_removed, {"all": 0, "claimable": 0, "due": 0}, None),
        (_register_taken, {"all": 4, "claimable": 4, "due": 0}, "Autumn start, Chester"),
    ],
)
def test_a_change_to_what_the_listing_is_read_from_is_seen_on_the_next_visit(
    client, cohort_with_places, change, counts, option
):
    cohort, places = cohort_with_places
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(facilitator)
    sign_in(client, facilitator)
    url = reverse("reports:milestone-list")
    before = client.get(url)
    assert before.context["counts"] == {"all": 4, "claimable": 3, "due": 1}

    change(cohort, places, facilitator)
    after = client.get(url)

    assert after.context["counts"] == counts
    labels = [label for value, label in after.context["filters"].fields["cohort"].choices if value]
    if option is None:
        assert labels == []
    else:
        assert len(labels) == 1 and option in labels[0]


@time_machine.travel(TODAY)
def test_a_cohort_given_to_a_facilitator_is_listed_on_their_next_visit(client, cohort_with_places):
    cohort, _ = cohort_with_places
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    url = reverse("reports:milestone-list")
    assert client.get(url).context["counts"]["all"] == 0

    cohort.facilitators.add(facilitator)

    assert client.get(url).context["counts"]["all"] == 4


def test_the_listing_is_read_again_on_another_day_and_other_days_are_let_go(
    client, cohort_with_places
):
    from reports.models import KeptMilestoneListing

    staff = StaffUserFactory()
    url = reverse("reports:milestone-list")
    with time_machine.travel(TODAY):
        sign_in(client, staff)
        assert client.get(url).context["counts"] == {"all": 4, "claimable": 3, "due": 1}
    assert list(KeptMilestoneListing.objects.values_list("day", flat=True)) == [TODAY.date()]

    # After the started milestone (22 December), Ben's started is no longer due but missed,
    # and nothing changed but the day.
    with time_machine.travel(at(2027, 12, 23, 10)):
        sign_in(client, staff)
        later = client.get(url)

    assert later.context["counts"] != {"all": 4, "claimable": 3, "due": 1}
    assert list(KeptMilestoneListing.objects.values_list("day", flat=True)) == [
        datetime.date(2027, 12, 23)
    ]


@time_machine.travel(TODAY)
def test_a_visit_that_reads_the_listing_afresh_checks_its_filters_once(
    client, cohort_with_places, monkeypatch
):
    cohort, _ = cohort_with_places
    sign_in(client, StaffUserFactory())
    made = []
    original = MilestoneFilterForm.__init__

    def counted(form, *args, **kwargs):
        made.append(form)
        original(form, *args, **kwargs)

    monkeypatch.setattr(MilestoneFilterForm, "__init__", counted)

    response = client.get(reverse("reports:milestone-list"), {"cohort": cohort.pk})

    assert response.context["counts"]["all"] == 4
    assert made == [response.context["filters"]]
