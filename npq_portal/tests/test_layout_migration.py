"""Splitting `participants` into apps keeps every row: proved on PostgreSQL, there and back.

Models leave `participants` with their rows. Each new app's 0001 takes its models over in
Django's state only (the tables keep their `participants_*` names), relabels their content
types (so permissions, and the groups holding them, follow) and rewrites the keys stored as
text ("participants.application:12", outbox task names); `participants` then drops them from
its state, and each new app's 0002 renames the tables. A slip there loses rows, permissions
or pending work in production, and nothing else would notice, so this test migrates the test
database back to the layout before the split, fills every participants table, migrates
forward, finds every row, content type, permission and key where it should be, and goes
back again.

Two constants drive it: OLD_LAYOUT, the last migrations before the split, and MOVED, where
each model went. (It was written before the split, when it checked a move only once the new app
was installed; that is why the constants filter by what is installed.)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from npq_portal.celery import app as celery_app
from npq_portal.roles import ROLE_SPECS, Role

# The apps the split creates.
NEW_APPS = ("schools", "funding", "mailing_list", "applications", "reminders")
# Apps made after the split: none of their migrations either, or their latest would pull the
# old layout's apps forward to what they depend on.
LATER_APPS = ("dfe",)

# The layout before the split: the last migration of each of the project's apps as it was
# then, and none of a new app's (listed only once the app is installed, so the test runs
# before the split too). Apps not listed (Django's own, allauth) stay at their latest.
OLD_LAYOUT = [
    ("npq_portal", "0005_personal_data_requests"),
    ("programmes", "0003_assessment_word_limits_data"),
    ("cohorts", "0001_cohorts_sessions_calendars"),
    ("participants", "0012_school_indexes_for_import"),
    ("assessment", "0002_marking_and_outcomes"),
    ("reports", "0003_audit_log"),
    *((app_label, None) for app_label in NEW_APPS if apps.is_installed(app_label)),
    *((app_label, None) for app_label in LATER_APPS if apps.is_installed(app_label)),
]

# Where each model goes (old label -> new label). Models not listed stay in participants.
MOVED = {
    "participants.school": "schools.school",
    "participants.localauthority": "schools.localauthority",
    "participants.privatechildcareprovider": "schools.privatechildcareprovider",
    "participants.giasimport": "schools.giasimport",
    "participants.eligibilitylist": "schools.eligibilitylist",
    "participants.eligibilitylistentry": "schools.eligibilitylistentry",
    "participants.schoolleadership": "schools.schoolleadership",
    "participants.fundingdecision": "funding.fundingdecision",
    "participants.fundingoverride": "funding.fundingoverride",
    "participants.subscriber": "mailing_list.subscriber",
    "participants.application": "applications.application",
    "participants.applicationevent": "applications.applicationevent",
    "participants.reminderdone": "reminders.reminderdone",
    "participants.reminderoptout": "reminders.reminderoptout",
}

# Where each participants task the outbox runs goes (old name -> new name): to the app that
# owns what it works on (STYLE.md, "Where things live"). A task not listed keeps its name.
# The test leaves a waiting outbox row naming each of them, listed or not.
TASKS_MOVED = {
    f"participants.tasks.{name}": f"{app}.tasks.{name}"
    for app, names in {
        "schools": ["gias_import_task"],
        "mailing_list": [
            "subscriber_send_email_task",
            "cohort_announce_task",
            "subscribers_expire_task",
        ],
        "applications": [
            "application_send_email_task",
            "approvals_chase_task",
            "waitlist_offers_expire_task",
        ],
        "reminders": ["reminders_run_task", "session_changed_notify_task"],
    }.items()
    for name in names
}


def _app_installed(dotted: str) -> bool:
    """Whether the app that `dotted` (a model label or task name) starts with is installed."""
    return apps.is_installed(dotted.split(".", 1)[0])


# The moves the installed apps have made: before the split, none.
MOVES_MADE = {old: new for old, new in MOVED.items() if _app_installed(new)}
TASK_MOVES_MADE = {old: new for old, new in TASKS_MOVED.items() if _app_installed(new)}

# Columns of the moved tables that hold `app_label.model:pk` keys, rewritten by the moves.
KEY_COLUMNS = {"participants.fundingdecision": "subject", "participants.reminderdone": "about"}

# Participants permissions the test gives roles at the old layout (as roles_sync_permissions
# does after a migrate): each must still be held, under its model's new app label, after.
GRANTS = {
    Role.PROGRAMME_LEAD: ["application.decide_application", "school.view_school"],
    Role.HUB_ADMINISTRATOR: ["giasimport.add_giasimport", "subscriber.view_subscriber"],
    Role.FACILITATOR: ["attendance.add_attendance", "modulephasedone.add_modulephasedone"],
}

AT = datetime(2026, 9, 14, 9, 30, tzinfo=UTC)


@dataclass
class Snapshot:
    """The old layout's data, as the test filled it in."""

    # table -> (the label of its model, or of the model whose many-to-many field it holds;
    # that field's name, or None)
    tables: dict[str, tuple[str, str | None]]
    rows: dict[str, list[dict]]  # every row of every old participants table
    labels: dict[str, dict]  # what names these models from outside their tables


@pytest.mark.django_db(transaction=True)
def test_the_old_layout_migrates_forward_and_back_with_every_row():
    if connection.vendor != "postgresql":
        pytest.skip("Migrations are proved on PostgreSQL, production's database.")
    try:
        old_apps = _migrate_to_old_layout()
        _assert_content_types_are_participants(old_apps)
        _fill_old_layout(old_apps)
        before = _snapshot(old_apps)

        _migrate_to_latest()

        _assert_moved(before)

        old_apps = _migrate_to_old_layout()

        _assert_back(before, old_apps)
    finally:
        # Whatever happened, the rest of the suite needs the latest schema.
        _migrate_to_latest()
        apps.get_model("contenttypes", "ContentType").objects.clear_cache()


# ---- Migrating (a fresh executor each time, so it reads what the last step applied) ----


def _migrate_to_old_layout():
    """Migrate back to OLD_LAYOUT, and return the historical models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(OLD_LAYOUT)
    # project_state() takes migrations only: a new app at (app, None) has none applied, and
    # each unlisted app is at its latest.
    listed = {app_label for app_label, _ in OLD_LAYOUT}
    nodes = [node for node in OLD_LAYOUT if node[1] is not None]
    nodes += [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in listed]
    return executor.loader.project_state(nodes).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# ---- The old layout, filled ----


def _assert_content_types_are_participants(old_apps) -> None:
    """Every model that moves has its content type under `participants` at the old layout.

    The test database was made at the latest layout, where the new apps' content types were
    created: migrating back must have relabelled them.
    """
    content_types = old_apps.get_model("contenttypes", "ContentType").objects
    models = set(content_types.filter(app_label="participants").values_list("model", flat=True))
    missing = sorted(label for label in MOVED if label.split(".")[1] not in models)
    assert not missing, f"No participants content type at the old layout for {missing}"


def _fill_old_layout(old_apps) -> None:
    """Two or more rows in every participants table, as the portal would have written them,
    plus the keys, outbox tasks and group grants that name participants models."""

    def model(label: str):
        return old_apps.get_model(label)

    User = model("npq_portal.User")
    priya, aisha, tom, ravi, helen, mark = (
        User.objects.create(email=email, first_name=first, last_name=last, password="!")
        for email, first, last in [
            ("priya.shah@hub.example", "Priya", "Shah"),  # the programme lead
            ("aisha.rahman@greenfield.example", "Aisha", "Rahman"),
            ("tom.okafor@hollybank.example", "Tom", "Okafor"),
            ("ravi.patel@greenfield.example", "Ravi", "Patel"),
            ("helen.jones@greenfield.example", "Helen", "Jones"),  # Greenfield's head
            ("mark.evans@hollybank.example", "Mark", "Evans"),  # Hollybank's head
        ]
    )

    # The catalogue and a running cohort with a session.
    Programme = model("programmes.Programme")
    headship = Programme.objects.create(
        slug="npq-headship",
        course_identifier="npq-headship",
        short_name="NPQH",
        name="NPQ for Headship",
        family="leadership",
        summary="For aspiring headteachers.",
        who_for="Senior leaders who want to become headteachers.",
    )
    mastery = Programme.objects.create(
        slug="mastery-readiness",
        short_name="MR",
        name="Mastery Readiness",
        family="maths_hub",
        summary="Getting a primary school ready for teaching for mastery.",
        who_for="Primary school leaders.",
    )
    course = model("programmes.Course").objects.create(
        programme=headship, title="Course 1: School culture", number=1
    )
    module = model("programmes.Module").objects.create(course=course, title="Culture")
    partner = model("cohorts.DeliveryPartner").objects.create(
        name="Cheshire and Wirral Teaching School Hub"
    )
    cohort = model("cohorts.Cohort").objects.create(
        programme=headship,
        delivery_partner=partner,
        name="Autumn start",
        academic_year=2026,
        starts_on=date(2026, 10, 1),
        ends_on=date(2027, 7, 15),
        capacity=30,
        status="running",
    )
    session = model("cohorts.Session").objects.create(
        cohort=cohort,
        kind="conference",
        title="Opening conference",
        starts_at=datetime(2026, 10, 8, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 8, 15, 30, tzinfo=UTC),
        status="scheduled",
    )

    # Schools and the other institutions, imports and eligibility lists.
    School = model("participants.School")
    greenfield = School.objects.create(
        urn=111111,
        name="Greenfield Primary School",
        name_normalised="greenfield primary school",
        la_code="896",
        la_name="Cheshire West and Chester",
        phase_name="Primary",
        town="Chester",
        postcode="CH1 4BJ",
        postcode_normalised="CH14BJ",
        number_of_pupils=210,
    )
    hollybank = School.objects.create(
        urn=222222,
        ukprn="10012345",
        name="Hollybank High School",
        name_normalised="hollybank high school",
        la_code="895",
        la_name="Cheshire East",
        phase_name="Secondary",
        town="Crewe",
        postcode="CW1 3AB",
        postcode_normalised="CW13AB",
        status_code=3,
        open_date=date(1972, 9, 1),
    )
    LocalAuthority = model("participants.LocalAuthority")
    LocalAuthority.objects.create(code="895", name="Cheshire East")
    LocalAuthority.objects.create(code="896", name="Cheshire West and Chester")
    Provider = model("participants.PrivateChildcareProvider")
    Provider.objects.create(provider_urn="EY123456", name="Little Acorns Nursery")
    Provider.objects.create(provider_urn="EY654321", name="Jo Bloggs", la_code="895")
    GiasImport = model("participants.GiasImport")
    gias_import = GiasImport.objects.create(
        file_name="edubasealldata20260901.csv",
        status="done",
        total_rows=2,
        processed_rows=2,
        created_count=2,
        finished_at=AT,
        uploaded_by=priya,
    )
    GiasImport.objects.create(
        file_name="edubasealldata20260908.csv", status="failed", error="No URN column."
    )
    EligibilityList = model("participants.EligibilityList")
    pp50 = EligibilityList.objects.create(
        kind="pp50_schools", file_name="pp50.csv", uploaded_at=AT, entry_count=2
    )
    childminders = EligibilityList.objects.create(
        kind="childminders", file_name="childminders.csv", uploaded_at=AT, entry_count=1
    )
    Entry = model("participants.EligibilityListEntry")
    Entry.objects.create(eligibility_list=pp50, identifier="111111", name=greenfield.name)
    Entry.objects.create(eligibility_list=pp50, identifier="222222", name=hollybank.name)
    Entry.objects.create(eligibility_list=childminders, identifier="EY654321")
    Leadership = model("participants.SchoolLeadership")
    Leadership.objects.create(user=helen, school=greenfield, confirmed_by=priya)
    Leadership.objects.create(user=mark, school=hollybank, confirmed_by=priya)

    # The mailing list.
    Subscriber = model("participants.Subscriber")
    for email, first, last, programmes in [
        ("sam.lee@oakfield.example", "Sam", "Lee", [headship, mastery]),
        ("jo.wood@elm.example", "Jo", "Wood", [mastery]),
    ]:
        subscriber = Subscriber.objects.create(
            email=email,
            first_name=first,
            last_name=last,
            consent_text="Email me when applications open.",
            consented_at=AT,
            confirmations_sent=1,
            confirmed_at=AT,
        )
        subscriber.programmes.set(programmes)

    # Applications, their funding decisions and history, and the places they led to.
    Application = model("participants.Application")
    Event = model("participants.ApplicationEvent")
    FundingDecision = model("participants.FundingDecision")
    Enrolment = model("participants.Enrolment")
    applications = {}
    for applicant, school, head, status in [
        (aisha, greenfield, helen, "accepted"),
        (tom, hollybank, mark, "accepted"),
        (ravi, greenfield, helen, "waitlisted"),
    ]:
        application = Application.objects.create(
            applicant=applicant,
            cohort=cohort,
            school=school,
            status=status,
            answers={"role": "Deputy headteacher", "school_urn": str(school.urn)},
            trn="1234567",
            headteacher_name=f"{head.first_name} {head.last_name}",
            headteacher_email=head.email,
            approver_email=head.email,
            submitted_at=AT,
            school_decided_by=f"{head.first_name} {head.last_name}",
            school_decided_by_email=head.email,
            school_decided_at=AT,
        )
        application.funding_decision = FundingDecision.objects.create(
            subject=f"participants.application:{application.pk}",
            rules="2026",
            facts={"institution": {"urn": school.urn}, "role": "Deputy headteacher"},
            list_versions={"pp50_schools": pp50.pk},
            status="funded",
            funded=True,
            reason="The school is on the PP50 list.",
            decided_by=priya,
        )
        application.save()
        Event.objects.create(
            application=application, from_status="draft", to_status="awaiting_school"
        )
        Event.objects.create(
            application=application,
            from_status="awaiting_school",
            to_status="school_approved",
            by_name=application.school_decided_by,
        )
        if status == "accepted":
            Enrolment.objects.create(participant=applicant, cohort=cohort, application=application)
        applications[applicant] = application
    waitlisted = applications[ravi]
    waitlisted.waitlisted_at = AT
    waitlisted.offer_expires_at = datetime(2026, 10, 20, 9, 30, tzinfo=UTC)
    waitlisted.save()
    overridden = waitlisted.funding_decision
    overridden.override_status = "not_funded"
    overridden.override_reason = "Already funded for this NPQ elsewhere."
    overridden.overridden_by = priya
    overridden.overridden_at = AT
    overridden.save()
    Override = model("participants.FundingOverride")
    Override.objects.create(decision=overridden, status="funded", reason="Checked.", by=priya)
    Override.objects.create(
        decision=overridden, status="not_funded", reason=overridden.override_reason, by=priya
    )

    # Enrolments' history, registers and module progress (these stay in participants).
    aisha_place = Enrolment.objects.get(participant=aisha)
    tom_place = Enrolment.objects.get(participant=tom)
    EnrolmentEvent = model("participants.EnrolmentEvent")
    EnrolmentEvent.objects.create(
        enrolment=tom_place, from_status="active", to_status="deferred", reason="Illness."
    )
    EnrolmentEvent.objects.create(
        enrolment=tom_place, from_status="deferred", to_status="active", by=priya
    )
    Attendance = model("participants.Attendance")
    Change = model("participants.AttendanceChange")
    for place, mark, reason in [
        (aisha_place, "present", "Signed in at the side door."),
        (tom_place, "late", "Train cancelled."),
    ]:
        attendance = Attendance.objects.create(
            session=session, enrolment=place, mark=mark, recorded_by=priya
        )
        Change.objects.create(
            attendance=attendance, from_mark="absent", to_mark=mark, reason=reason, by=priya
        )
    PhaseDone = model("participants.ModulePhaseDone")
    PhaseDone.objects.create(enrolment=aisha_place, module=module, phase="study")
    PhaseDone.objects.create(enrolment=aisha_place, module=module, phase="application", by=priya)

    # Reminders: done for a session, and for a waiting-list offer (keyed with its expiry).
    ReminderDone = model("participants.ReminderDone")
    ReminderDone.objects.create(rule="session-1d", about=f"cohorts.session:{session.pk}", sent=2)
    ReminderDone.objects.create(
        rule="offer-expiring",
        about=f"participants.application:{waitlisted.pk}@2026-10-20 09:30:00+00",
        sent=1,
    )
    OptOut = model("participants.ReminderOptOut")
    OptOut.objects.create(email="sam.lee@oakfield.example")
    OptOut.objects.create(email=tom.email)

    # Email sent about applications, a subscriber and a session; account email about nothing.
    EmailDelivery = model("npq_portal.EmailDelivery")
    subscriber = Subscriber.objects.get(email="sam.lee@oakfield.example")
    for recipient, kind, about in [
        (aisha.email, "application_received", f"participants.application:{applications[aisha].pk}"),
        (tom.email, "application_decision", f"participants.application:{applications[tom].pk}"),
        (subscriber.email, "subscriber_confirm", f"participants.subscriber:{subscriber.pk}"),
        (aisha.email, "session_reminder", f"cohorts.session:{session.pk}"),
        (ravi.email, "welcome", ""),
    ]:
        EmailDelivery.objects.create(
            recipient=recipient, kind=kind, about=about, status="sent", sent_at=AT
        )

    # Work waiting in the outbox, by task name: one for each participants task it runs.
    OutboxTask = model("npq_portal.OutboxTask")
    for task_name, args in [
        ("participants.tasks.gias_import_task", [gias_import.pk]),
        (
            "participants.tasks.subscriber_send_email_task",
            [subscriber.pk, "subscriber_confirm", "confirm-1"],
        ),
        ("participants.tasks.cohort_announce_task", [cohort.pk]),
        (
            "participants.tasks.application_send_email_task",
            [applications[tom].pk, "application_decision", "accepted"],
        ),
        ("participants.tasks.session_changed_notify_task", [session.pk, "moved", "Room change."]),
        ("npq_portal.tasks.user_send_welcome_task", [ravi.pk]),
    ]:
        OutboxTask.objects.create(task_name=task_name, args=args, status="pending")

    # Roles hold participants permissions, as roles_sync_permissions gives them.
    permissions = model("auth.Permission").objects
    for role, grants in GRANTS.items():
        group, _ = model("auth.Group").objects.get_or_create(name=ROLE_SPECS[role].group_name)
        for grant in grants:
            model_name, codename = grant.split(".")
            group.permissions.add(
                permissions.get(
                    content_type__app_label="participants",
                    content_type__model=model_name,
                    codename=codename,
                )
            )


# ---- What the old layout holds ----


def _snapshot(old_apps) -> Snapshot:
    """Every row of every participants table, and what names participants models elsewhere."""
    tables = {}
    for model in old_apps.get_app_config("participants").get_models():
        tables[model._meta.db_table] = (model._meta.label_lower, None)
        for field in model._meta.local_many_to_many:
            tables[field.m2m_db_table()] = (model._meta.label_lower, field.name)
    rows = {table: _rows(table) for table in tables}
    too_few = sorted(table for table, found in rows.items() if len(found) < 2)
    assert not too_few, f"_fill_old_layout() must put two rows or more in {too_few}"

    content_types = old_apps.get_model("contenttypes", "ContentType").objects
    ids = list(content_types.filter(app_label="participants").values_list("pk", flat=True))
    labels = _labels(old_apps, content_type_ids=ids)
    return Snapshot(tables=tables, rows=rows, labels=labels)


def _rows(table: str) -> list[dict]:
    """Every row of `table`, as column name -> value, in id order."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _labels(registry, *, content_type_ids: list[int]) -> dict[str, dict]:
    """What names participants models outside their tables: their content types, the
    permissions on those and the groups holding them, and the keys and task names stored.

    `registry` is the historical models at the old layout, or the current ones.
    """
    content_types = registry.get_model("contenttypes", "ContentType").objects
    permissions = registry.get_model("auth", "Permission").objects
    groups = registry.get_model("auth", "Group").objects
    emails = registry.get_model("npq_portal", "EmailDelivery").objects
    outbox = registry.get_model("npq_portal", "OutboxTask").objects
    return {
        "content types": {
            ct.pk: f"{ct.app_label}.{ct.model}"
            for ct in content_types.filter(pk__in=content_type_ids)
        },
        "permissions": {
            p.pk: (p.content_type_id, p.codename)
            for p in permissions.filter(content_type__in=content_type_ids)
        },
        "group permissions": {
            group.name: sorted(group.permissions.values_list("pk", flat=True))
            for group in groups.all()
        },
        "email about": dict(emails.values_list("pk", "about")),
        "outbox task names": dict(outbox.values_list("pk", "task_name")),
    }


def _relabelled(key: str) -> str:
    """An `app_label.model:pk…` key as the moves made rewrite it (what follows the colon,
    such as an offer's "@expiry", kept as it was)."""
    label, colon, rest = key.partition(":")
    return f"{MOVES_MADE.get(label, label)}{colon}{rest}" if colon else key


# ---- At the new layout ----


def _assert_moved(before: Snapshot) -> None:
    """Every old table's rows are in its model's table now, the same row for row, and
    everything that named a moved model names it by its new label."""
    tables_now = set(connection.introspection.table_names())
    for old_table, (label, m2m_field) in before.tables.items():
        new_table = _table_now(label, m2m_field)
        expected_rows = before.rows[old_table]
        if label in KEY_COLUMNS and m2m_field is None:
            column = KEY_COLUMNS[label]
            expected_rows = [{**row, column: _relabelled(row[column])} for row in expected_rows]
        # Columns added since the split (a later migration's, with their defaults) are not
        # the old rows' to compare: each old column must hold what it held.
        rows_now = [
            {column: row[column] for column in expected_rows[0]} for row in _rows(new_table)
        ]
        assert rows_now == expected_rows, f"{old_table} -> {new_table}: rows differ"
        if label in MOVES_MADE:
            assert old_table not in tables_now, f"{old_table} is still there"
            _assert_ids_continue(new_table)

    # Content types keep their ids under the new label, so permissions (and the groups
    # holding them) and admin log entries follow without being touched.
    old = before.labels
    expected = {
        **old,
        "content types": {
            pk: MOVES_MADE.get(label, label) for pk, label in old["content types"].items()
        },
        "email about": {pk: _relabelled(about) for pk, about in old["email about"].items()},
        "outbox task names": {
            pk: TASK_MOVES_MADE.get(name, name) for pk, name in old["outbox task names"].items()
        },
    }
    assert _labels(apps, content_type_ids=list(old["content types"])) == expected

    # As the portal asks: roles.py names permissions as "<app label>.<codename>".
    Group = apps.get_model("auth", "Group")
    for role, grants in GRANTS.items():
        group = Group.objects.get(name=ROLE_SPECS[role].group_name)
        for grant in grants:
            model_name, codename = grant.split(".")
            label = MOVES_MADE.get(f"participants.{model_name}", f"participants.{model_name}")
            app_label = label.split(".")[0]
            held = group.permissions.filter(content_type__app_label=app_label, codename=codename)
            assert held.exists(), f"{group.name} no longer holds {app_label}.{codename}"

    # The outbox hands a waiting row to the task registered under its name.
    celery_app.loader.import_default_modules()
    unknown = set(expected["outbox task names"].values()) - set(celery_app.tasks)
    assert not unknown, f"Outbox rows name tasks that are not registered: {sorted(unknown)}"


def _table_now(label: str, m2m_field: str | None) -> str:
    """The table that, in the current code, holds what `label`'s table (or the table of its
    many-to-many field `m2m_field`) held at the old layout."""
    model = apps.get_model(MOVES_MADE.get(label, label))
    if m2m_field is None:
        return model._meta.db_table
    return model._meta.get_field(m2m_field).m2m_db_table()


def _assert_ids_continue(table: str) -> None:
    """New rows get new ids: the id sequence came with the table and is past its last id."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        assert sequence, f"{table}.id has no sequence"
        cursor.execute(f"SELECT last_value FROM {sequence}")  # quoted by PostgreSQL
        (last_value,) = cursor.fetchone()
        cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(table)}")
        (highest,) = cursor.fetchone()
    assert last_value >= highest, f"{sequence} would give {table} an id it already has"


# ---- Back at the old layout ----


def _assert_back(before: Snapshot, old_apps) -> None:
    """Migrating back puts every row, label and key back as it was, and leaves no new table."""
    tables_now = set(connection.introspection.table_names())
    for old_table, (label, m2m_field) in before.tables.items():
        assert _rows(old_table) == before.rows[old_table], f"{old_table}: rows differ"
        if label in MOVES_MADE:
            new_table = _table_now(label, m2m_field)
            assert new_table not in tables_now, f"{new_table} is still there"
    ids = list(before.labels["content types"])
    assert _labels(old_apps, content_type_ids=ids) == before.labels
