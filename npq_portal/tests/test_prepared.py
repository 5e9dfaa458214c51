"""Queries prepared once a PostgreSQL connection (npq_portal/prepared.py) answer as the SQL
run as it is does, are prepared once, and are prepared again on a new connection."""

import datetime
import zoneinfo
from datetime import UTC

import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.functions import TruncDate
from django.db.models.signals import post_init
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.access import ACCESS_CACHE, PERMISSION_CACHES
from npq_portal.models import OutboxTask, RoleChange, User
from npq_portal.prepared import (
    GENERIC_PLAN,
    fixed_count,
    fixed_objects,
    fixed_query_of,
    fixed_rows,
    planned_generically,
    prepared_execute,
)
from npq_portal.roles import Role
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SQL = (
    "SELECT email, first_name || '%%' FROM npq_portal_user "
    "WHERE id IN (%s, %s) AND is_active = %s ORDER BY id"
)


def _rows(sql, params):
    with connection.cursor() as cursor:
        prepared_execute(cursor, sql, params)
        return cursor.fetchall()


def _plain(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def people():
    return UserFactory(first_name="Ada"), UserFactory(first_name="Ben", is_active=False)


def test_the_answer_is_the_sql_run_as_it_is(people):
    ada, ben = people
    for params in ([ada.pk, ben.pk, True], [ada.pk, ben.pk, False], [0, 0, True]):
        assert _rows(SQL, params) == _plain(SQL, params)
    assert _rows(SQL, [ada.pk, ben.pk, True]) == [(ada.email, "Ada%")]


def test_a_statement_is_prepared_once_a_connection(people):
    if connection.vendor != "postgresql":
        pytest.skip("Only PostgreSQL prepares statements.")
    ada, ben = people
    with CaptureQueriesContext(connection) as first:
        _rows(SQL, [ada.pk, ben.pk, True])
    with CaptureQueriesContext(connection) as again:
        _rows(SQL, [ben.pk, ada.pk, False])

    prepared = [q["sql"] for q in first.captured_queries if q["sql"].startswith("PREPARE")]
    assert len(prepared) <= 1  # none if an earlier test prepared it on this connection
    assert [q["sql"].split("(")[0] for q in again.captured_queries] == [
        first.captured_queries[-1]["sql"].split("(")[0]
    ]
    assert again.captured_queries[0]["sql"].startswith("EXECUTE npq_")


def test_a_rolled_back_transaction_leaves_it_prepared(people):
    ada, ben = people
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _rows(SQL, [ada.pk, ben.pk, True]) == [(ada.email, "Ada%")]
        raise RuntimeError("rolled back")

    assert _rows(SQL, [ada.pk, ben.pk, True]) == [(ada.email, "Ada%")]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_it_again():
    ada = UserFactory(first_name="Ada")
    assert _rows(SQL, [ada.pk, 0, True]) == [(ada.email, "Ada%")]

    connection.close()  # as Django does with a connection kept too long, or broken

    assert _rows(SQL, [ada.pk, 0, True]) == [(ada.email, "Ada%")]


# ---- Fixed ORM queries: composed once a connection, run prepared ----


def _people_named():
    """Active people with a first name, the newest first, with a computed column."""
    return (
        User.objects.filter(is_active=True)
        .exclude(first_name="")
        .annotate(joined_on=TruncDate("date_joined"))
        .order_by("-pk")
        .values_list("email", "joined_on", "is_staff")
    )


def _tasks():
    return OutboxTask.objects.order_by("pk").values_list("args", "created_at")


def test_a_fixed_query_gives_what_its_queryset_gives(people):
    ada, ben = people
    UserFactory(first_name="Cy", is_staff=True)

    assert fixed_rows(_people_named) == list(_people_named())
    assert fixed_rows(_people_named)[-1] == (ada.email, ada.date_joined.date(), False)


def test_a_fixed_query_turns_stored_json_and_times_into_python_as_the_orm_does():
    task = OutboxTask.objects.create(task_name="t", args=[12, {"kind": "pp50"}])

    assert fixed_rows(_tasks) == list(_tasks())
    assert fixed_rows(_tasks) == [([12, {"kind": "pp50"}], task.created_at)]


def test_a_fixed_query_is_composed_once_and_reads_the_rows_of_the_moment(people, monkeypatch):
    before = len(fixed_rows(_people_named))
    UserFactory(first_name="Dee")
    composed = []
    real, real_converters = SQLCompiler.as_sql, SQLCompiler.get_converters
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: composed.append(1) or real(self, *a, **k)
    )
    # The fields' converters are found with the SQL, not again for each run.
    monkeypatch.setattr(
        SQLCompiler,
        "get_converters",
        lambda self, *a: composed.append(2) or real_converters(self, *a),
    )

    with CaptureQueriesContext(connection) as captured:
        after = fixed_rows(_people_named)

    assert composed == [] and len(after) == before + 1
    if connection.vendor == "postgresql":
        assert [q["sql"].split(" ")[0] for q in captured.captured_queries] == ["EXECUTE"]


def test_a_fixed_query_is_made_by_a_named_function():
    with pytest.raises(ValueError, match="named function"):
        fixed_rows(lambda: User.objects.values_list("pk"))


def _person(pk):
    return User.objects.filter(pk=pk).annotate(joined_on=TruncDate("date_joined")).order_by()


def _roles_of(pk):
    """One person's role changes, with the person selected with them."""
    return RoleChange.objects.filter(user_id=pk).select_related("user").order_by("pk")


def _by_email(email):
    return User.objects.filter(email=email)


def _the_next_person(pk):
    return User.objects.filter(pk=pk + 1)


def _groups_prefetched(pk):
    return User.objects.filter(pk=pk).prefetch_related("groups")


def test_fixed_objects_are_the_instances_the_queryset_gives(people):
    ada, ben = people
    for person in (ada, ben):
        user_set_roles(user=person, roles={Role.HUB_ADMINISTRATOR, Role.FACILITATOR}, by=None)

    for person in (ada, ben):
        (found,) = fixed_objects(_person, person.pk)
        (expected,) = _person(person.pk)
        assert found == expected and found.__dict__.keys() == expected.__dict__.keys()
        assert found.joined_on == person.date_joined.date() and not found._state.adding
        changes = fixed_objects(_roles_of, person.pk)
        assert changes == list(_roles_of(person.pk)) and len(changes) == 2
        with CaptureQueriesContext(connection) as captured:
            assert {change.user.email for change in changes} == {person.email}
        assert captured.captured_queries == []  # selected with them
    assert fixed_objects(_person, 0) == []


def _people_by_id(*ids):
    return User.objects.filter(pk__in=ids).order_by("pk")


def test_a_fixed_query_of_so_many_ids_is_kept_apart_from_one_of_more(people):
    """The review queue reads a page's rows by a fixed number of ids: each number of them is
    a query of its own."""
    ada, ben = people

    two = fixed_objects(_people_by_id, ada.pk, 0)
    three = fixed_objects(_people_by_id, 0, 0, ben.pk)
    two_again = fixed_objects(_people_by_id, ben.pk, ada.pk)

    assert [p.pk for p in two] == [ada.pk]
    assert [p.pk for p in three] == [ben.pk]
    assert [p.pk for p in two_again] == [ada.pk, ben.pk]


def test_a_fixed_query_takes_whole_numbers_each_reaching_the_sql_as_a_parameter(people):
    ada, _ = people
    assert fixed_objects(_by_email, ada.email) == [ada]  # a text, too
    for wrong in (1.5, True, datetime.datetime(2026, 1, 1), None):
        with pytest.raises(TypeError, match="whole numbers, texts, days or moments"):
            fixed_objects(_by_email, wrong)
    with pytest.raises(ValueError, match="as a parameter"):
        fixed_objects(_the_next_person, ada.pk)  # sent as another number
    with pytest.raises(ValueError, match="prefetches nothing"):
        fixed_objects(_groups_prefetched, ada.pk)


def _joined_since(pk, since):
    return User.objects.filter(pk__gte=pk, date_joined__gte=since).order_by("pk")


def test_a_fixed_query_takes_moments_as_the_orm_sends_them(people):
    """A moment reaches the SQL as the database takes it (text on SQLite): the rows are the
    queryset's for each moment given."""
    ada, ben = people
    User.objects.filter(pk=ada.pk).update(date_joined=datetime.datetime(2026, 1, 5, 9, tzinfo=UTC))
    User.objects.filter(pk=ben.pk).update(date_joined=datetime.datetime(2026, 3, 1, 9, tzinfo=UTC))
    first = min(ada.pk, ben.pk)

    for since in (
        datetime.datetime(2025, 12, 31, tzinfo=UTC),
        datetime.datetime(2026, 2, 1, 12, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        datetime.datetime(2026, 3, 1, 9, tzinfo=UTC),  # the moment itself: "from" includes it
        datetime.datetime(2026, 3, 1, 9, 0, 1, tzinfo=UTC),
    ):
        assert fixed_objects(_joined_since, first, since) == list(_joined_since(first, since))
    assert len(fixed_objects(_joined_since, first, datetime.datetime(2026, 2, 1, tzinfo=UTC))) == 1
    with pytest.raises(TypeError, match="moments with a time zone"):
        fixed_objects(_joined_since, first, datetime.datetime(2026, 2, 1))


def _joined_on_or_after(pk, day):
    return User.objects.filter(pk__gte=pk, date_joined__date__gte=day).order_by("pk")


def _cohorts_ending_by(day):
    return Cohort.objects.filter(ends_on__lte=day).order_by("pk").values_list("pk", "ends_on")


def test_a_fixed_query_takes_days_as_the_orm_sends_them(people):
    """A day reaches the SQL as the database takes it (text on SQLite), compared with a date
    column or with a moment's day: the rows are the queryset's for each day given."""
    ada, ben = people
    User.objects.filter(pk=ada.pk).update(date_joined=datetime.datetime(2026, 1, 5, 9, tzinfo=UTC))
    User.objects.filter(pk=ben.pk).update(date_joined=datetime.datetime(2026, 3, 1, 9, tzinfo=UTC))
    first = min(ada.pk, ben.pk)
    for ends_on in (datetime.date(2026, 7, 17), datetime.date(2027, 7, 16)):
        CohortFactory(starts_on=ends_on - datetime.timedelta(days=300), ends_on=ends_on)

    for day in (
        datetime.date(2025, 12, 31),
        datetime.date(2026, 1, 5),  # the day itself: "on or after" includes it
        datetime.date(2026, 1, 6),
        datetime.date(2026, 3, 2),
    ):
        assert fixed_objects(_joined_on_or_after, first, day) == list(
            _joined_on_or_after(first, day)
        )
    for day in (datetime.date(2026, 7, 16), datetime.date(2026, 7, 17), datetime.date(2028, 1, 1)):
        assert fixed_rows(_cohorts_ending_by, day) == list(_cohorts_ending_by(day))
    assert len(fixed_rows(_cohorts_ending_by, datetime.date(2026, 7, 17))) == 1
    with pytest.raises(TypeError, match="days or moments"):
        fixed_rows(_cohorts_ending_by, 1.5)


def test_a_person_by_id_is_read_through_the_fixed_query_and_is_the_same(people):
    ada, ben = people

    with CaptureQueriesContext(connection) as captured:
        found = User.objects.get(pk=ada.pk)
    other = User.objects.get(pk=ben.pk)

    assert (found, other) == (ada, ben)
    # The person's access comes with them (npq_portal/access.py), and nothing else.
    read_with = {ACCESS_CACHE, *PERMISSION_CACHES}
    assert read_with <= found.__dict__.keys()
    fields = {
        key: value for key, value in found.__dict__.items() if key not in {"_state", *read_with}
    }
    assert fields == {
        key: value
        for key, value in User.objects.filter(pk=ada.pk).get().__dict__.items()
        if key != "_state"
    }
    if connection.vendor == "postgresql":
        assert captured.captured_queries[-1]["sql"].startswith("EXECUTE npq_")
    with pytest.raises(User.DoesNotExist, match="User matching query does not exist"):
        User.objects.get(pk=0)
    assert User.objects.get(email=ben.email) == ben  # any other lookup as before


def _role_changes_of_only(pk):
    """Role changes with only some of their columns, and their person with only some."""
    return (
        RoleChange.objects.filter(user_id=pk)
        .select_related("user")
        .only("pk", "user_id", "user__email")
        .order_by("pk")
    )


def _state_of(instance) -> tuple:
    return instance._state.adding, instance._state.db, set(instance._state.fields_cache)


def test_fixed_objects_are_made_as_the_orm_makes_them(people, monkeypatch):
    """Made without Model.__init__, each instance, and each selected with
    it, holds what the ORM's does: the same values, state and cached relations; it saves as
    an update, not as a new row."""
    ada, _ = people
    user_set_roles(user=ada, roles={Role.HUB_ADMINISTRATOR, Role.FACILITATOR}, by=ada)
    expected = list(_roles_of(ada.pk))
    by_the_orm = []
    real = Model.from_db.__func__
    monkeypatch.setattr(Model, "from_db", classmethod(lambda *a: by_the_orm.append(1) or real(*a)))

    found = fixed_objects(_roles_of, ada.pk)

    assert by_the_orm == []

    for made, orm in zip(found, expected, strict=True):
        assert {k: v for k, v in vars(made).items() if k != "_state"} == {
            k: v for k, v in vars(orm).items() if k != "_state"
        }
        assert _state_of(made) == _state_of(orm) == (False, "default", {"user"})
        assert vars(made.user) | {"_state": None} == vars(orm.user) | {"_state": None}
        assert _state_of(made.user) == _state_of(orm.user)
    found[0].user.first_name = "Adah"
    found[0].user.save()
    assert User.objects.filter(first_name="Adah").count() == 1
    assert User.objects.count() == 2


def test_fixed_objects_of_part_rows_are_made_as_the_orm_makes_them(people, monkeypatch):
    """Columns left out are deferred, as the ORM leaves them: read when asked for."""
    ada, _ = people
    user_set_roles(user=ada, roles={Role.FACILITATOR}, by=None)
    (expected,) = _role_changes_of_only(ada.pk)
    by_the_orm = []
    real = Model.from_db.__func__
    monkeypatch.setattr(Model, "from_db", classmethod(lambda *a: by_the_orm.append(1) or real(*a)))

    (part,) = fixed_objects(_role_changes_of_only, ada.pk)

    assert by_the_orm == []
    assert part.get_deferred_fields() == expected.get_deferred_fields() != set()
    assert part.user.get_deferred_fields() == expected.user.get_deferred_fields() != set()
    assert vars(part.user) | {"_state": None} == vars(expected.user) | {"_state": None}
    with CaptureQueriesContext(connection) as captured:
        assert part.role == Role.FACILITATOR and part.user.first_name == "Ada"  # read now
    assert len(captured.captured_queries) == 2


def test_fixed_objects_are_made_by_the_orm_while_someone_listens(people):
    ada, _ = people
    user_set_roles(user=ada, roles={Role.FACILITATOR}, by=None)
    made = []

    def listen(sender, instance, **kwargs):
        made.append(type(instance).__name__)

    post_init.connect(listen)
    try:
        fixed_objects(_roles_of, ada.pk)
    finally:
        post_init.disconnect(listen)
    assert made == ["RoleChange", "User"]


# ---- Fixed queries run by their generic plan ----


@planned_generically
def _people_joined_since(pk, since):
    return User.objects.filter(pk__gte=pk, date_joined__gte=since).order_by("pk")


def _plans_of(sql: str) -> tuple[str, int, int]:
    """This connection's plan_cache_mode, and how many times PostgreSQL ran the statement
    that `sql` executes by a generic plan and by a plan for its values."""
    name = sql.split("EXECUTE ")[1].split("(")[0]
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        (mode,) = cursor.fetchone()
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [name],
        )
        return (mode, *cursor.fetchone())


@pytest.mark.django_db(transaction=True)
def test_a_query_planned_generically_is_never_planned_for_its_values():
    people = [UserFactory() for _ in range(3)]
    since = datetime.datetime(2000, 1, 1, tzinfo=UTC)
    with CaptureQueriesContext(connection) as captured:
        for person in people:
            found = fixed_objects(_people_joined_since, person.pk, since)
            assert found == list(_people_joined_since(person.pk, since))
    executed = [q["sql"] for q in captured.captured_queries if "EXECUTE" in q["sql"]]
    if connection.vendor != "postgresql":
        assert not executed  # SQLite runs the SQL as it is
        return
    assert len(executed) == 3 and all(sql.startswith(GENERIC_PLAN) for sql in executed)
    # Each of the three ran by the generic plan; the setting ended with each statement.
    assert _plans_of(executed[-1]) == ("auto", 3, 0)


def test_in_a_transaction_the_setting_is_not_changed():
    person = UserFactory()
    since = datetime.datetime(2000, 1, 1, tzinfo=UTC)
    with CaptureQueriesContext(connection) as captured:
        assert fixed_objects(_people_joined_since, person.pk, since) == [person]
    # SET LOCAL would last until the transaction ends, for every statement after it.
    assert not any(GENERIC_PLAN in q["sql"] for q in captured.captured_queries)


def _people_named_like(pk):
    """The query's own values: texts with a quote, a backslash and a percent sign, a flag, a
    number, a list, beside one argument."""
    return (
        User.objects.filter(pk__gte=pk, is_active=True)
        .exclude(first_name__in=["O'Brien", "back\\slash", "100%"])
        .exclude(last_name="%s")
        .filter(last_name__startswith="Lo")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def test_a_fixed_query_s_own_values_are_written_into_its_statement_on_postgresql():
    for first, last in (
        ("Ada", "Lovelace"),
        ("O'Brien", "Lo"),
        ("back\\slash", "Lo"),
        ("100%", "Lo"),
        ("Ben", "%s"),
        ("Cy", "Long"),
        ("Dee", "Short"),
    ):
        UserFactory(first_name=first, last_name=last)
    first_pk = User.objects.order_by("pk").first().pk

    with CaptureQueriesContext(connection) as captured:
        found = fixed_rows(_people_named_like, first_pk)

    assert found == [(email,) for email in _people_named_like(first_pk)]
    assert [row[0] for row in found] == list(
        User.objects.filter(first_name__in=["Ada", "Cy"])
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if connection.vendor != "postgresql":
        return
    (executed,) = [q["sql"] for q in captured.captured_queries if "EXECUTE" in q["sql"]]
    assert executed.endswith(f"({first_pk})")  # the argument alone is a parameter
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s",
            [executed.split(" ")[1].split("(")[0]],
        )
        (statement,) = cursor.fetchone()
    assert "$1" in statement and "$2" not in statement
    assert "'O''Brien'" in statement and "'100%'" in statement and "'%s'" in statement


# ---- Texts as arguments, and pages ----


def _people_with_first_name(name):
    return User.objects.filter(first_name=name).order_by("pk").values_list("email", flat=True)


def _everyone_in_order():
    return User.objects.order_by("email", "pk")


def _sliced():
    return User.objects.order_by("pk")[:2]


def test_a_fixed_query_takes_texts_each_reaching_the_sql_as_a_parameter():
    for name in ("Ada", "O'Brien", "100%", "", "Ada"):
        UserFactory(first_name=name)
    for name in ("Ada", "O'Brien", "100%", "", "nobody", "%"):
        assert fixed_rows(_people_with_first_name, name) == [
            (email,) for email in _people_with_first_name(name)
        ]


def test_a_page_of_a_fixed_query_is_that_slice_of_its_queryset():
    for _ in range(7):
        UserFactory()
    everyone = list(_everyone_in_order())
    statements = set()
    for offset in range(0, 9):
        with CaptureQueriesContext(connection) as captured:
            page = fixed_objects(_everyone_in_order, limit=3, offset=offset)
        assert page == everyone[offset : offset + 3]
        statements.add(captured.captured_queries[-1]["sql"].split("(")[0])
    assert fixed_objects(_everyone_in_order, limit=0) == []
    assert fixed_objects(_everyone_in_order) == everyone  # unpaged: its own statement
    if connection.vendor == "postgresql":
        assert len(statements) == 1  # LIMIT and OFFSET are parameters: one statement


def test_a_page_is_asked_for_plainly():
    with pytest.raises(ValueError, match="not sliced"):
        fixed_objects(_sliced, limit=1)
    for limit, offset in ((-1, 0), (1, -1), ("2", 0)):
        with pytest.raises(ValueError, match="whole numbers"):
            fixed_objects(_everyone_in_order, limit=limit, offset=offset)


def test_a_fixed_count_counts_up_to_its_limit():
    for name in ("Ada", "Ada", "Ada", "Ben"):
        UserFactory(first_name=name)
    for name, up_to, expected in (("Ada", 10, 3), ("Ada", 2, 2), ("Ben", 10, 1), ("Cy", 5, 0)):
        assert fixed_count(_people_with_first_name, name, up_to=up_to) == expected
    assert fixed_count(_everyone_in_order, up_to=1000) == User.objects.count()
    with pytest.raises(ValueError, match="whole number"):
        fixed_count(_everyone_in_order, up_to=-1)


def _made_of(shape, *args):
    return User.objects.filter(**dict(zip(shape, args, strict=True))).order_by("pk")


def test_a_fixed_query_of_a_shape_is_one_function_a_shape_named_after_its_maker(people):
    ada, ben = people
    by_name = fixed_query_of(_made_of, ("first_name",))
    assert fixed_query_of(_made_of, ("first_name",)) is by_name
    assert fixed_query_of(_made_of, ("email",)) is not by_name
    assert by_name.__name__ == "_made_of"
    assert fixed_objects(by_name, "Ben") == [ben]
    assert fixed_objects(fixed_query_of(_made_of, ("email",)), ada.email) == [ada]


def test_a_number_no_column_holds_finds_nothing_as_the_orm_finds_nothing(people):
    ada, _ = people
    for pk in (2**63, -(2**63) - 1, 10**30):
        assert fixed_objects(_person, pk) == list(_person(pk)) == []
        assert fixed_count(_people_by_id, pk, up_to=10) == 0
    assert fixed_objects(_person, ada.pk) == [ada]  # in range: read as ever
