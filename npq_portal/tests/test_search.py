"""The staff searches' helpers find exactly what `icontains` finds, however they ask for it."""

import pytest
from django.db import connection
from django.db.models import Q

from applications.models import SEARCH_FIELDS, Application
from applications.tests.factories import ApplicationFactory
from npq_portal import search
from npq_portal.models import User
from npq_portal.search import TextSearch, contains_q, has_trigram, search_order, search_q
from npq_portal.tests.factories import UserFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

PERSON_FIELDS = ("email", "first_name", "last_name")

# Names and addresses with what a search's text can trip on: case, accents, apostrophes,
# LIKE's wildcards and escape character, digits.
PEOPLE = [
    ("sarah.patel@oakfield.example", "Sarah", "Patel"),
    ("SAM.OBRIEN@HOLYTRINITY.EXAMPLE", "Sam", "O'Brien"),
    ("zoe@brook-lane.example", "Zoë", "Łukasz"),
    ("jo_100%@upton.example", "Jo", "Smith-Jones"),
    ("back\\slash@crewe.example", "Joanne", "Patel"),
    ("mo.khan@ashby.example", "Mohammed", "Khan"),
]
TYPED = [
    "patel",
    "PATEL",
    "pAtEl",
    "sarah.pat",
    "o'brien",
    "zoë",
    "ZOË",
    "łuk",
    "100%",
    "_",
    "%",
    "o_1",
    "\\",
    "h\\s",
    "jo",
    "J",
    "@",
    "smith-jones",
    "nobody",
]


def _icontains(fields, text) -> Q:
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__icontains": text})
    return q


@pytest.fixture
def people():
    return [
        UserFactory(email=email, first_name=first, last_name=last) for email, first, last in PEOPLE
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("abc", True), ("ab", False), ("a b c", False), ("ab@", False), ("o'neill", True)]
    + [("zoë", True), ("a_bc", False), ("12", False), ("123", True), ("", False)],
)
def test_text_has_a_trigram_only_with_three_letters_or_digits_in_a_row(text, expected):
    assert has_trigram(text) is expected


@pytest.mark.parametrize("text", TYPED)
def test_a_field_search_finds_what_icontains_finds(people, text):
    found = set(User.objects.filter(contains_q("last_name", text)))

    assert found == set(User.objects.filter(last_name__icontains=text))


@pytest.mark.parametrize("text", TYPED)
def test_a_case_sensitive_field_search_finds_what_contains_finds(people, text):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's LIKE, so its `contains`, ignores the case of ASCII letters.")

    found = set(User.objects.filter(contains_q("email", text, ignore_case=False)))

    assert found == set(User.objects.filter(email__contains=text))
    assert found == {person for person in User.objects.all() if text in person.email}


@pytest.mark.parametrize("text", TYPED)
def test_a_search_of_several_fields_finds_what_icontains_on_any_finds(people, text):
    found = set(User.objects.filter(search_q(User, PERSON_FIELDS, text)))

    assert found == set(User.objects.filter(_icontains(PERSON_FIELDS, text)))


@pytest.mark.parametrize("text", [*TYPED, "oakfield", "OAKFIELD PRIM", "st mary's", "o"])
def test_a_search_across_foreign_keys_finds_what_icontains_over_the_joins_finds(people, text):
    oakfield = SchoolFactory(name="Oakfield Primary School")
    marys = SchoolFactory(name="St Mary's C of E Primary (Patel Campus)")
    for n, person in enumerate(people):
        ApplicationFactory(applicant=person, school=[oakfield, marys, None][n % 3])
    ApplicationFactory(school=oakfield)  # found by its school alone
    ApplicationFactory(applicant=people[0], school=marys)  # by its applicant and its school

    found = list(Application.objects.filter(search_q(Application, SEARCH_FIELDS, text)))

    assert len(found) == len(set(found))  # each once, however many ways it matched
    assert set(found) == set(Application.objects.filter(_icontains(SEARCH_FIELDS, text)))


@pytest.fixture
def applications(people):
    oakfield = SchoolFactory(name="Oakfield Primary School")
    marys = SchoolFactory(name="St Mary's C of E Primary (Patel Campus)")
    made = [
        ApplicationFactory(applicant=person, school=[oakfield, marys, None][n % 3])
        for n, person in enumerate(people)
    ]
    made.append(ApplicationFactory(school=oakfield))  # found by its school alone
    made.append(ApplicationFactory(applicant=people[0], school=marys))  # by both
    return made


@pytest.mark.parametrize("text", [*TYPED, "oakfield", "OAKFIELD PRIM", "st mary's", "o"])
def test_a_large_tables_search_asks_for_the_keys_of_each_joined_tables_matches(applications, text):
    found = list(
        Application.objects.filter(TextSearch(text).q(Application, SEARCH_FIELDS, large=True))
    )

    assert len(found) == len(set(found))
    assert set(found) == set(Application.objects.filter(_icontains(SEARCH_FIELDS, text)))


def test_each_joined_tables_matches_are_found_once_for_a_search(
    applications, django_assert_num_queries
):
    patel = TextSearch("patel")

    with django_assert_num_queries(3):  # the people, the schools, the applications
        first = set(Application.objects.filter(patel.q(Application, SEARCH_FIELDS, large=True)))
    with django_assert_num_queries(1):  # the applications alone: the keys are kept
        again = set(Application.objects.filter(patel.q(Application, SEARCH_FIELDS, large=True)))

    assert first == again == set(Application.objects.filter(_icontains(SEARCH_FIELDS, "patel")))


def test_a_small_tables_search_uses_keys_found_already_or_else_the_join(
    applications, django_assert_num_queries
):
    patel = TextSearch("patel")
    fields = ["applicant__email", "applicant__first_name", "applicant__last_name"]
    expected = set(Application.objects.filter(_icontains(fields, "patel")))

    with django_assert_num_queries(1):  # over the join: no keys asked for
        over_the_join = set(Application.objects.filter(patel.q(Application, fields)))
    patel.keys(User, ["email", "first_name", "last_name"])
    with django_assert_num_queries(1):
        q = patel.q(Application, fields)  # the people found: no query to make it
        by_key = set(Application.objects.filter(q))

    assert over_the_join == by_key == expected


def test_text_common_in_a_joined_table_is_matched_over_the_join(applications, monkeypatch):
    monkeypatch.setattr(search, "IDS_HELD", 1)  # "patel": three people, two schools

    found = set(
        Application.objects.filter(TextSearch("patel").q(Application, SEARCH_FIELDS, large=True))
    )

    assert found == set(Application.objects.filter(_icontains(SEARCH_FIELDS, "patel")))


def test_text_found_nowhere_asks_nothing_more(applications, django_assert_num_queries):
    with django_assert_num_queries(2):  # the people, the schools: none
        q = TextSearch("nobody").q(Application, SEARCH_FIELDS, large=True)
    with django_assert_num_queries(0):
        assert Application.objects.filter(q).count() == 0


def test_a_search_across_foreign_keys_refuses_a_relation_it_cannot_follow():
    with pytest.raises(ValueError, match="not a foreign key this side holds"):
        search_q(User, ["applications__trn"], "123")


def test_a_searched_list_keeps_the_order_it_would_have(people):
    UserFactory(email="another.patel@upton.example", first_name="Sarah", last_name="Patel")
    UserFactory(email="a.patel@upton.example", first_name="Sarah", last_name="Patel")
    order, backwards = ("last_name", "first_name", "email"), ("-last_name", "email")

    for text in ["patel", "jo", ""]:
        assert list(User.objects.order_by(*search_order(order, text))) == list(
            User.objects.order_by(*order)
        )
        assert list(User.objects.order_by(*search_order(backwards, text))) == list(
            User.objects.order_by(*backwards)
        )
