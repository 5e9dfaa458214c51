"""The staff searches' trigram indexes: on PostgreSQL the migrations make them and the searches'
queries use them; on SQLite the migrations make nothing (the rest of the suite, passing on
SQLite, shows the searches need nothing there)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, ApplicationEvent
from cohorts.tests.factories import CohortFactory
from npq_portal.models import EmailDelivery, User
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from reports.audit import AUDIT_SOURCES
from schools.models import School

pytestmark = pytest.mark.django_db

INDEXES = {
    "user_email_trgm_idx": "npq_portal_user",
    "user_first_name_trgm_idx": "npq_portal_user",
    "user_last_name_trgm_idx": "npq_portal_user",
    "email_delivery_recipient_trgm_idx": "npq_portal_emaildelivery",
    "school_name_normalised_trgm_idx": "schools_school",
    "school_town_trgm_idx": "schools_school",
    "school_name_trgm_idx": "schools_school",
    "application_event_reason_trgm_idx": "applications_applicationevent",
    "application_event_by_name_trgm_idx": "applications_applicationevent",
}
PEOPLE = {"user_email_trgm_idx", "user_first_name_trgm_idx", "user_last_name_trgm_idx"}
SCHOOL_SEARCH = {"school_name_normalised_trgm_idx", "school_town_trgm_idx"}
# Each search as its page asks it, and the indexes its queries' plans must use.
SEARCHES = [
    ("applications:application-list", {"q": "patel"}, PEOPLE | {"school_name_trgm_idx"}),
    ("staff:person-list", {"q": "patel"}, PEOPLE),
    ("staff:email-list", {"recipient": "patel@"}, {"email_delivery_recipient_trgm_idx"}),
    ("schools:school-list", {"q": "oakfield primary"}, SCHOOL_SEARCH),
    ("schools:school-search", {"q": "oakfield"}, SCHOOL_SEARCH),
    (
        "reports:audit-log",
        {"q": "patel"},
        PEOPLE | {"application_event_reason_trgm_idx", "application_event_by_name_trgm_idx"},
    ),
]
# Where npq_portal was before the indexes: migrating there takes back the apps depending on it.
BEFORE = [("npq_portal", "0006_email_body")]


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's; on SQLite the migrations make no index.")


@pytest.fixture
def enough_rows(postgresql_only):
    """Thousands of rows in each searched table, counted by ANALYZE, so that the planner finds
    reading a whole B-tree dearer than a trigram index (made without factories, which would
    take minutes)."""
    count = 5_000
    first, last = ["Sarah", "Tom", "Priya", "Jo"], ["Jones", "Reed", "Shah", "Smith", "Khan"]
    people = User.objects.bulk_create(
        User(email=f"person{n}@school.example", first_name=first[n % 4], last_name=last[n % 5])
        for n in range(count)
    )
    towns = ["Chester", "Crewe", "Upton", "Hoole"]
    schools = School.objects.bulk_create(
        School(urn=100_000 + n, name=f"Brook Lane Academy {n}", town=towns[n % 4])
        for n in range(count)
    )
    cohort = CohortFactory()
    applications = Application.objects.bulk_create(
        Application(applicant=person, school=school, cohort=cohort, status="awaiting_school")
        for person, school in zip(people, schools, strict=True)
    )
    ApplicationEvent.objects.bulk_create(
        ApplicationEvent(
            application=application,
            from_status=Application.Status.AWAITING_SCHOOL,
            to_status=Application.Status.SCHOOL_APPROVED,
            by_name=f"Head {n}",
            reason=f"Approved at meeting {n}",
        )
        for n, application in enumerate(applications)
    )
    EmailDelivery.objects.bulk_create(
        EmailDelivery(recipient=person.email, kind="welcome", subject="Welcome")
        for person in people
    )
    with connection.cursor() as cursor:
        # What autovacuum does for a live database: GIN keeps new entries in a pending list,
        # which the planner rightly counts as slow to search, until they are merged in.
        for index in INDEXES:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE")


def _trigram_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, tablename FROM pg_indexes "
            "WHERE indexname LIKE '%%trgm_idx' AND indexdef LIKE '%%USING gin%%gin_trgm_ops%%'"
        )
        return dict(cursor.fetchall())


def _plan_indexes(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    names, nodes = set(), [plan]
    while nodes:
        node = nodes.pop()
        if isinstance(node, list):
            nodes += node
        elif isinstance(node, dict):
            names |= {node["Index Name"]} if "Index Name" in node else set()
            nodes += [value for value in node.values() if isinstance(value, list | dict)]
    return names


def _searched_indexes(client, url_name: str, params: dict) -> set[str]:
    """The trigram indexes in the plans of the queries the page asks for this search, planned
    as for a table too large to read whole (the tables here hold thousands of rows, not the
    hundreds of thousands a hub's do)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    used = set()
    for query in captured.captured_queries:
        if query["sql"].lstrip("(").startswith("SELECT"):  # a UNION's starts with its part
            used |= {name for name in _plan_indexes(query["sql"]) if name.endswith("_trgm_idx")}
    return used


def test_the_migrations_make_every_trigram_index(postgresql_only):
    assert _trigram_indexes() == INDEXES


def test_on_sqlite_the_migrations_make_no_trigram_index():
    if connection.vendor != "sqlite":
        pytest.skip("The migrations do nothing only where there is no pg_trgm.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm%'")
        assert cursor.fetchall() == []


@pytest.mark.parametrize(("url_name", "params", "indexes"), SEARCHES)
def test_each_search_uses_its_trigram_indexes_unless_the_text_has_no_trigram(
    enough_rows, client, url_name, params, indexes
):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR, Role.PROGRAMME_LEAD]))

    assert _searched_indexes(client, url_name, params) >= indexes
    # A trigram index holds nothing for "jo" to find: PostgreSQL would read all of it, then
    # every row it points to, slower than reading the table.
    assert _searched_indexes(client, url_name, {key: "jo" for key in params}) == set()


@pytest.mark.django_db(transaction=True)
def test_migrating_back_drops_the_indexes_and_leaves_the_extension(postgresql_only):
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)

        assert _trigram_indexes() == {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == (1,)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert _trigram_indexes() == INDEXES


def _queries(client, url_name: str, params: dict) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_a_searched_review_queue_asks_for_its_people_by_key_and_counts_to_a_thousand(
    enough_rows, client
):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    queries = _queries(client, "applications:application-list", {"q": "person12"})

    [count] = [sql for sql in queries if sql.startswith("SELECT COUNT(*)")]
    assert "LIMIT 1001" in count
    assert '"applications_application"."applicant_id" = ANY(' in count
    assert "npq_portal_user" not in count  # the people were found first, once
    people = [sql for sql in queries if sql.startswith('SELECT "npq_portal_user"."id" AS "pk"')]
    assert len(people) == 1 and "user_email_trgm_idx" in _plan_indexes(people[0])


def test_the_audit_log_reads_application_history_newest_first_through_its_time_index(
    enough_rows, client
):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    queries = _queries(client, "reports:audit-log", {})

    [rows] = [sql for sql in queries if sql.startswith("(SELECT 'applications'")]
    # Each history's part is limited to the rows a page and its count may need, newest first.
    assert rows.count("ORDER BY 3 DESC, 2 DESC LIMIT 101)") == len(AUDIT_SOURCES)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # as for a table too large to read
    assert "application_event_at_idx" in _plan_indexes(rows)
