"""docs/backup.md's procedure, followed: dump, restore into a new database, find the data."""

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from applications.tests.factories import ApplicationFactory
from npq_portal.models import EmailDelivery, OutboxTask
from npq_portal.tasks import user_send_welcome_task
from npq_portal.tests.factories import EmailDeliveryFactory, UserFactory
from npq_portal.tests.workers import database_url
from participants.tests.factories import EnrolmentFactory


def _row_counts(url: str) -> dict[str, int]:
    with closing(psycopg2.connect(url)) as database, database.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(name for (name,) in cursor.fetchall())
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # names from the catalogue
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_dump_restored_into_a_new_database_holds_everything(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("Backups are of PostgreSQL: runs in CI's PostgreSQL pass.")
    teacher = UserFactory(email="aisha.rahman@greenfield.example", first_name="Aisha")
    ApplicationFactory(applicant=teacher)
    EnrolmentFactory()
    EmailDeliveryFactory(
        recipient=teacher.email, status=EmailDelivery.Status.SENT, sent_at=timezone.now()
    )
    OutboxTask.objects.create(task_name=user_send_welcome_task.name, args=[teacher.pk])
    source = database_url()
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored = database_url(restored_name)
    dump = tmp_path / "npq.dump"
    server = database_url("postgres")

    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", dump, source],
        check=True,
    )
    subprocess.run(
        ["psql", server, "-qc", f'DROP DATABASE IF EXISTS "{restored_name}"'], check=True
    )
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{restored_name}"'], check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--jobs=2"]
            + ["--dbname", restored, dump],
            check=True,
        )
        migrations = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"],
            cwd=Path(settings.BASE_DIR),
            env={**os.environ, "DATABASE_URL": restored},
            capture_output=True,
            text=True,
        )
        with closing(psycopg2.connect(restored)) as database, database.cursor() as cursor:
            cursor.execute(
                "SELECT first_name FROM npq_portal_user WHERE email = %s", [teacher.email]
            )
            found = cursor.fetchall()
            cursor.execute("SELECT task_name, args::text FROM npq_portal_outboxtask")
            waiting = cursor.fetchall()
        restored_counts = _row_counts(restored)
    finally:
        subprocess.run(["psql", server, "-qc", f'DROP DATABASE "{restored_name}"'], check=True)

    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    assert found == [("Aisha",)]
    assert waiting == [(user_send_welcome_task.name, f"[{teacher.pk}]")]
    original_counts = _row_counts(source)
    assert restored_counts == original_counts
    assert original_counts["applications_application"] == 1
    assert original_counts["participants_enrolment"] >= 1
