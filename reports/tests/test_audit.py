import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import reports.views
from applications.models import ApplicationEvent
from applications.tests.factories import ApplicationFactory
from cohorts.models import CohortStatusChange
from cohorts.tests.factories import CohortFactory
from npq_portal.models import RoleChange
from npq_portal.roles import Role
from npq_portal.search import TextSearch
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from reports.audit import (
    AUDIT_SOURCES,
    PERSON_FIELDS,
    AuditFilters,
    AuditSource,
    audit_log_entries,
    audit_log_rows,
)
from reports.models import Export, ExportEvent
from reports.services import export_build, export_start, exports_forget_old
from reports.tests.audit_data import every_kind_of_change

pytestmark = pytest.mark.django_db

URL = reverse("reports:audit-log")


def _admin(**kwargs):
    return StaffUserFactory(first_name="Hannah", last_name="Okafor", **kwargs)


def _entries(filters=None, *, viewer):
    rows = audit_log_rows(filters=filters or AuditFilters())
    return audit_log_entries(rows=rows, viewer=viewer)


def test_the_log_has_a_row_for_every_kind_of_change_with_who_and_why():
    admin = _admin()
    every_kind_of_change(admin=admin)

    entries = _entries(viewer=admin)

    assert {entry.kind for entry in entries} == {source.label for source in AUDIT_SOURCES}
    by_kind = {entry.kind: entry for entry in entries if entry.who == admin}
    assert by_kind["Cohort status"].change == "Draft → Open for applications"
    assert by_kind["Cohort status"].reason == "Ready to recruit"
    assert by_kind["Register correction"].change == "Absent → Present"
    assert by_kind["Register correction"].reason == "Signed in late"
    assert by_kind["Funding override"].change == (
        "Marked funded by hub policy (the rules said not funded)"
    )
    assert "application to NPQLPM" in by_kind["Funding override"].subject
    assert by_kind["Place"].change == "Active → Deferred"
    assert by_kind["Role"].change == "Given the role Facilitator"
    assert by_kind["Role"].subject == "Priya Shah (priya@oakfield.example)"
    assert by_kind["Assessment outcome"].change == (
        "Passed at attempt 1 (assessors disagreed; resolved by a programme lead)"
    )
    assert by_kind["Django admin"].change == "Changed Name."
    assert by_kind["School leader access"].change == (
        "May see Oakfield Primary School's applicants and participants, as its leader"
    )


def test_the_log_is_newest_first():
    admin = _admin()
    every_kind_of_change(admin=admin)
    week_ago = timezone.now() - datetime.timedelta(days=7)
    CohortStatusChange.objects.update(changed_at=week_ago)
    ApplicationEvent.objects.update(at=week_ago + datetime.timedelta(hours=1))

    entries = _entries(viewer=admin)

    assert [entry.kind for entry in entries[-2:]] == ["Application", "Cohort status"]
    times = [entry.when for entry in entries]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("venue flooded", {"Session"}),  # why
        ("priya shah", {"Role", "Place", "Register correction", "Assessment exception"}),  # about
        ("rise-2027", {"Eligibility list"}),  # about: the file's name
    ],
)
def test_searching_finds_words_in_the_subject_and_the_reason(text, kinds):
    admin = _admin()
    every_kind_of_change(admin=admin)

    entries = _entries(AuditFilters(text=text), viewer=admin)

    assert {entry.kind for entry in entries} == kinds


@pytest.mark.parametrize(
    "word",
    ["PRIYA", "shah", "okafor", "oakfield", "npqlpm", "cheshire", "flooded", "culture"]
    + ["whitfield", "summer", "rise-2027", "test", "ill", "jo", "e", "nobody"],
)
def test_each_history_finds_the_rows_in_which_any_field_it_searches_holds_the_word(word):
    admin = _admin()
    every_kind_of_change(admin=admin)

    for source in AUDIT_SOURCES:
        fields = [f"{source.who}__{name}" for name in PERSON_FIELDS]
        fields += [*source.subject_fields, *source.extra_search_fields]
        fields += [source.reason] if source.reason else []
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        rows = source.model._default_manager

        found = list(rows.filter(AuditSource.word_q(source, TextSearch(word))))

        assert len(found) == len(set(found)), source.key
        assert set(found) == set(rows.filter(any_field)), source.key


def test_searching_for_a_name_finds_changes_made_by_that_person_and_about_them():
    admin = _admin()
    every_kind_of_change(admin=admin)
    other = StaffUserFactory(first_name="Tom", last_name="Reed")
    user_set_roles(user=UserFactory(), roles=[Role.ASSESSOR], by=other, reason="Marks NPQLPM")

    entries = _entries(AuditFilters(text="tom reed"), viewer=admin)

    assert [(entry.who, entry.subject, entry.reason) for entry in entries] == [
        (other, entries[0].subject, "Marks NPQLPM"),
        (None, f"Tom Reed ({other.email})", "Test"),  # the role they were given in set-up
    ]


def test_a_person_without_a_name_is_named_once_by_their_address():
    admin = _admin()
    nameless = UserFactory(first_name="", last_name="", email="clinic-team@oakfield.example")
    user_set_roles(user=nameless, roles=[Role.FACILITATOR], by=admin, reason="Shared account")

    entries = _entries(AuditFilters(kinds=("role-changes",), person=admin), viewer=admin)

    assert [entry.subject for entry in entries] == ["clinic-team@oakfield.example"]


def test_searching_finds_a_funding_override_by_its_applicants_name():
    admin = _admin()
    made = every_kind_of_change(admin=admin)
    applicant = made["funding"].applicant

    entries = _entries(AuditFilters(text=applicant.last_name, kinds=("funding",)), viewer=admin)

    assert [entry.kind for entry in entries] == ["Funding override"]


def test_filtering_by_kind_person_and_dates():
    admin = _admin()
    every_kind_of_change(admin=admin)
    other = StaffUserFactory()
    user_set_roles(user=UserFactory(), roles=[Role.ASSESSOR], by=other, reason="Marks")
    RoleChange.objects.filter(by=other).update(changed_at=timezone.now() - datetime.timedelta(10))
    today = timezone.localdate()

    by_kind = _entries(AuditFilters(kinds=("sessions", "places")), viewer=admin)
    by_person = _entries(AuditFilters(person=other), viewer=admin)
    last_week = _entries(AuditFilters(until=today - datetime.timedelta(days=7)), viewer=admin)
    today_only = _entries(AuditFilters(since=today, until=today, person=other), viewer=admin)

    assert {entry.kind for entry in by_kind} == {"Session", "Place"}
    assert [entry.reason for entry in by_person] == ["Marks"]
    assert [entry.reason for entry in last_week] == ["Marks"]
    assert today_only == []


def test_links_only_to_pages_the_viewer_may_open():
    admin = _admin()
    made = every_kind_of_change(admin=admin)
    another_admin = _admin()

    mine = {e.kind: e.url for e in _entries(AuditFilters(kinds=("exports",)), viewer=admin)}
    theirs = {
        e.kind: e.url for e in _entries(AuditFilters(kinds=("exports",)), viewer=another_admin)
    }
    urls = {e.kind: e.url for e in _entries(viewer=admin)}
    roles = _entries(AuditFilters(kinds=("role-changes",), text="priya"), viewer=admin)

    assert mine == {"Export": made["exports"].get_absolute_url()}
    assert theirs == {"Export": ""}  # an export is its owner's alone
    assert urls["Session"] == reverse("cohorts:session-update", args=[made["sessions"].pk])
    assert urls["Application"] == made["applications"].get_absolute_url()
    assert urls["Funding override"] == made["funding"].get_absolute_url()
    assert [e.url for e in roles] == [made["role-changes"].get_absolute_url()]
    assert urls["Assessment outcome"] == made["outcomes"].window.get_absolute_url()
    assert urls["GIAS import"] == made["gias"].get_absolute_url()
    assert urls["School leader access"] == reverse(
        "schools:school-leaders", kwargs={"urn": made["school-leaders"].school.urn}
    )
    assert urls["Django admin"] == reverse(
        "admin:programmes_programme_change", args=[made["django-admin"].pk]
    )


# ---- The page ----


def test_a_hub_administrator_sees_the_log_from_the_navigation(client):
    admin = _admin()
    every_kind_of_change(admin=admin)
    sign_in(client, admin)

    response = client.get(reverse("reports:dashboard"))
    log = client.get(URL)

    assert f'href="{URL}"' in response.content.decode()
    assert log.status_code == 200
    assert "Venue flooded" in log.content.decode()
    assert "Hannah Okafor" in log.content.decode()


@pytest.mark.parametrize("role", [Role.PROGRAMME_LEAD, Role.FACILITATOR, Role.ASSESSOR])
def test_other_staff_may_not_see_the_log(client, role):
    sign_in(client, StaffUserFactory(roles=[role]))

    response = client.get(URL)

    assert response.status_code == 403
    assert f'href="{URL}"' not in client.get(reverse("staff:home")).content.decode()


def test_a_teacher_may_not_see_the_log(client):
    sign_in(client, UserFactory())

    assert client.get(URL).status_code == 403


def test_the_page_filters_with_its_form(client):
    admin = _admin()
    every_kind_of_change(admin=admin)
    sign_in(client, admin)

    response = client.get(URL, {"q": "flooded", "kind": "sessions", "person": admin.pk})

    page = response.content.decode()
    assert response.context["paginator"].count == 1
    assert "Venue flooded" in page
    assert "1 change matching these filters" in page


def test_no_matches_says_so(client):
    admin = _admin()
    every_kind_of_change(admin=admin)
    sign_in(client, admin)

    response = client.get(URL, {"q": "nothing-like-this"})

    assert "No changes match these filters." in response.content.decode()


def test_an_empty_log_says_what_will_appear(client):
    admin = _admin()
    RoleChange.objects.all().delete()  # the administrator's own role, given in set-up
    sign_in(client, admin)

    response = client.get(URL)

    assert "Nothing has been changed yet." in response.content.decode()


def test_a_start_date_after_the_end_date_is_refused_with_a_reason(client):
    sign_in(client, _admin())

    response = client.get(URL, {"since": "2027-11-09", "until": "2027-11-01"})

    page = response.content.decode()
    assert "The “From” date is after the “To” date." in page
    assert "Correct the filters to see the log." in page


def test_a_to_date_at_the_end_of_the_calendar_shows_everything_up_to_now(client):
    admin = _admin()
    every_kind_of_change(admin=admin)
    sign_in(client, admin)

    response = client.get(URL, {"q": "flooded", "until": "9999-12-31"})

    assert response.status_code == 200
    assert "1 change matching these filters" in response.content.decode()


def test_the_dates_are_days_in_london():
    admin = _admin()
    user_set_roles(user=UserFactory(), roles=[Role.ASSESSOR], by=admin, reason="Marks")
    # 00:30 on 1 July in London (summer time) is still 30 June in UTC.
    RoleChange.objects.filter(by=admin).update(
        changed_at=datetime.datetime(2027, 6, 30, 23, 30, tzinfo=datetime.UTC)
    )
    first_of_july = datetime.date(2027, 7, 1)

    on_the_day = _entries(AuditFilters(since=first_of_july, until=first_of_july), viewer=admin)
    day_before = _entries(
        AuditFilters(until=first_of_july - datetime.timedelta(days=1), person=admin), viewer=admin
    )

    assert [entry.reason for entry in on_the_day] == ["Marks"]
    assert day_before == []


def test_the_log_shows_25_or_50_a_page(client):
    admin = _admin()
    people = UserFactory.create_batch(30)
    for person in people:
        user_set_roles(user=person, roles=[Role.ASSESSOR], by=admin, reason="Marking team")
    sign_in(client, admin)

    first = client.get(URL)
    fifty = client.get(URL, {"per_page": 50})

    assert len(first.context["entries"]) == 25
    assert first.context["paginator"].count == 31
    assert len(fifty.context["entries"]) == 31
    assert len(client.get(URL, {"page": 2}).context["entries"]) == 6


def _more_history(made: dict, admin, count: int) -> None:
    """`count` more rows, spread over the histories so each is on the first page, in bulk."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from cohorts.models import SessionChange
    from funding.models import FundingDecision, FundingOverride
    from participants.models import Attendance, AttendanceChange, EnrolmentEvent

    attendance = Attendance.objects.get(session=made["attendance"])
    decision = FundingDecision.objects.get(subject=f"applications.application:{made['funding'].pk}")
    programme = made["django-admin"]
    makers = [
        lambda: RoleChange(user=made["role-changes"], role="assessor", granted=True, by=admin),
        lambda: CohortStatusChange(
            cohort=made["cohort-statuses"], from_status="open", to_status="full", by=admin
        ),
        lambda: SessionChange(session=made["sessions"], kind="cancelled", by=admin),
        lambda: ApplicationEvent(
            application=made["applications"], from_status="draft", to_status="draft", by=admin
        ),
        lambda: EnrolmentEvent(
            enrolment=made["places"], from_status="active", to_status="deferred", by=admin
        ),
        lambda: FundingOverride(decision=decision, status="x", by=admin),
        lambda: AttendanceChange(
            attendance=attendance, from_mark="absent", to_mark="late", by=admin, reason="Late"
        ),
        lambda: LogEntry(
            user=admin,
            content_type=ContentType.objects.get_for_model(programme),
            object_id=str(programme.pk),
            object_repr=str(programme),
            action_flag=CHANGE,
            change_message="[]",
        ),
    ]
    rows = [makers[n % len(makers)]() for n in range(count)]
    for model in {type(row) for row in rows}:
        model.objects.bulk_create([row for row in rows if type(row) is model])


def test_the_page_makes_the_same_queries_with_10_and_200_more_changes(
    client, django_assert_max_num_queries
):
    admin = _admin()
    admin.is_staff = True  # the Django admin's rows link to it
    admin.save()
    made = every_kind_of_change(admin=admin)
    # One of each kind stays on the first page, however many rows are added below it.
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    for source in AUDIT_SOURCES:
        source.rows().update(**{source.when: tomorrow})
    sign_in(client, admin)
    query = {"per_page": 50, "q": "a"}  # the search joins every history's tables too
    client.get(URL, query)  # per-process caches (content types, permissions) fill here

    _more_history(made, admin, 10)
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        first = client.get(URL, query)
    _more_history(made, admin, 190)
    with django_assert_max_num_queries(MAX_QUERIES) as large:
        second = client.get(URL, query)

    assert first.context["paginator"].count < 50
    assert len(second.context["entries"]) == 50
    kinds = {source.label for source in AUDIT_SOURCES}
    assert {e.kind for e in first.context["entries"]} == kinds
    assert {e.kind for e in second.context["entries"]} == kinds
    assert len(small.captured_queries) == len(large.captured_queries)


# The request's own (session, user, MFA, two for permissions, roles for the navigation), the
# person filter's choices, the count (which reads the first page too), and one for each kind of
# change on the page (two for funding overrides).
MAX_QUERIES = 9 + len(AUDIT_SOURCES) + 1
# A word with a trigram finds, once, the matching people, programmes, cohorts and applications.
MAX_QUERIES_SEARCHED = MAX_QUERIES + 4


def test_a_searched_page_makes_the_same_queries_with_10_and_200_more_changes(
    client, django_assert_max_num_queries
):
    admin = _admin()
    admin.is_staff = True
    admin.save()
    made = every_kind_of_change(admin=admin)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    for source in AUDIT_SOURCES:  # one of each kind stays on the first page
        source.rows().update(**{source.when: tomorrow})
    sign_in(client, admin)
    query = {"q": "okafor"}  # the administrator: every change they made
    client.get(URL, query)

    _more_history(made, admin, 10)
    with django_assert_max_num_queries(MAX_QUERIES_SEARCHED) as small:
        first = client.get(URL, query)
    _more_history(made, admin, 190)
    with django_assert_max_num_queries(MAX_QUERIES_SEARCHED) as large:
        second = client.get(URL, query)

    assert len(first.context["entries"]) == len(second.context["entries"]) == 25
    assert len(small.captured_queries) == len(large.captured_queries)


# ---- Counted up to a hundred, paged newest first ----


def _log_in_its_order(text: str) -> list[tuple[str, int, datetime.datetime]]:
    """Every row of every history in which each word of `text` is in a field it searches,
    newest first, found without the log's own queries."""
    rows = []
    for source in AUDIT_SOURCES:
        fields = [f"{source.who}__{name}" for name in PERSON_FIELDS]
        fields += [*source.subject_fields, *source.extra_search_fields]
        fields += [source.reason] if source.reason else []
        matching = source.model._default_manager.all()
        for word in text.split():
            any_field = Q()
            for field in fields:
                any_field |= Q(**{f"{field}__icontains": word})
            matching = matching.filter(any_field).distinct()
        rows += [(source.key, pk, when) for pk, when in matching.values_list("pk", source.when)]
    return sorted(rows, key=lambda row: (-row[2].timestamp(), -row[1], row[0]))


@pytest.mark.parametrize("text", ["", "okafor", "priya shah", "a"])
def test_the_logs_pages_and_counts_hold_what_the_whole_log_holds_in_its_order(text):
    admin = _admin()
    _more_history(every_kind_of_change(admin=admin), admin, 60)
    expected = _log_in_its_order(text)

    rows = audit_log_rows(filters=AuditFilters(text=text))
    paged = []
    for start in range(0, len(expected) + 7, 7):
        paged += list(rows[start : start + 7])

    assert list(audit_log_rows(filters=AuditFilters(text=text))) == expected
    assert paged == expected
    assert rows[:10].count() == min(10, len(expected))
    assert rows[:1000].count() == len(expected)
    assert audit_log_rows(filters=AuditFilters(text=text))[5:12].count() == len(expected[5:12])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("text", ["", "okafor", "a"])
def test_outside_a_transaction_the_log_is_read_in_the_join_order_written(text):
    """On PostgreSQL, a request's log (read outside any transaction) asks the planner to keep
    each history's joins in the order written, for that statement only; the rows are the
    same."""
    admin = _admin()
    _more_history(every_kind_of_change(admin=admin), admin, 30)
    expected = _log_in_its_order(text)

    with CaptureQueriesContext(connection) as captured:
        found = list(audit_log_rows(filters=AuditFilters(text=text))[:40])

    assert found == expected[:40]
    hinted = [q["sql"] for q in captured if "join_collapse_limit" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(hinted) == 1 and hinted[0].startswith("SET LOCAL join_collapse_limit = 1; ")
        with connection.cursor() as cursor:  # the session's own setting is untouched
            cursor.execute("SHOW join_collapse_limit")
            assert cursor.fetchone()[0] == "8"
    else:
        assert hinted == []


def test_a_counted_page_is_cut_from_the_rows_counted(django_assert_num_queries):
    admin = _admin()
    _more_history(every_kind_of_change(admin=admin), admin, 60)
    expected = _log_in_its_order("")
    rows = audit_log_rows(filters=AuditFilters())

    with django_assert_num_queries(1):
        counted = rows[:101].count()
        first, second = list(rows[0:25]), list(rows[25:50])

    assert counted == min(101, len(expected))
    assert first + second == expected[:50]


def test_a_page_of_rows_is_read_once_however_it_is_asked_for(django_assert_num_queries):
    admin = _admin()
    _more_history(every_kind_of_change(admin=admin), admin, 30)
    page = audit_log_rows(filters=AuditFilters())[10:35]

    with django_assert_num_queries(1):  # list() asks the length, then iterates
        rows, again, length = list(page), list(page), len(page)

    assert rows == again == _log_in_its_order("")[10:35] and length == 25


def test_the_page_says_there_are_more_than_it_counts_and_pages_on(client, monkeypatch):
    monkeypatch.setattr(reports.views, "AUDIT_LOG_COUNTED", 20)
    admin = _admin()
    _more_history(every_kind_of_change(admin=admin), admin, 20)
    sign_in(client, admin)

    first = client.get(URL)
    second = client.get(URL, {"page": 2})

    page = first.content.decode()
    assert "More than 20 changes" in page and "Page 1 of" not in page
    shown = first.context["entries"] + second.context["entries"]
    expected = _log_in_its_order("")[:50]
    assert [(entry.kind, entry.when) for entry in shown] == [
        ({source.key: source.label for source in AUDIT_SOURCES}[key], when)
        for key, _pk, when in expected
    ]
    assert client.get(URL, {"page": "last"}).status_code == 404


# ---- Exports stay in the log ----


def test_a_list_downloaded_at_once_is_in_the_audit_log(client):
    admin = _admin()
    ApplicationFactory(cohort=CohortFactory())
    sign_in(client, admin)

    download = client.get(
        reverse("reports:export-create", args=["applications", "xlsx"]), {"status": "draft"}
    )
    entries = _entries(AuditFilters(kinds=("exports",)), viewer=admin)

    assert download.status_code == 200
    assert [(e.who, e.subject, e.change) for e in entries] == [
        (admin, "Applications (Excel)", "Exported 0 rows, filtered by Status: Draft")
    ]


def test_an_export_stays_in_the_audit_log_after_its_file_is_forgotten():
    admin = _admin()
    export = export_start(user=admin, kind="enrolments", file_format="csv", filters={})
    export_build(export=export)
    Export.objects.filter(pk=export.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )

    exports_forget_old()
    entries = _entries(AuditFilters(kinds=("exports",)), viewer=admin)

    assert not Export.objects.exists()
    assert [(e.who, e.subject, e.url) for e in entries] == [(admin, "Places (CSV)", "")]


def test_a_background_export_is_logged_once_its_file_is_made_and_not_when_it_fails(monkeypatch):
    from reports import services

    admin = _admin()
    failing = export_start(user=admin, kind="enrolments", file_format="csv", filters={"q": "x"})

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "_write", broken)
    export_build(export=failing)
    monkeypatch.undo()

    failing.refresh_from_db()
    assert failing.status == Export.Status.FAILED
    assert not ExportEvent.objects.exists()

    made = export_start(user=admin, kind="enrolments", file_format="csv", filters={})
    export_build(export=made)

    made.refresh_from_db()
    (event,) = ExportEvent.objects.all()
    assert (event.export, event.rows, event.by) == (made, made.rows_done, admin)
