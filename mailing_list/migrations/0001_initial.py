"""Django's state learns that the mailing list's subscribers live in this app now.

They were the participants app's until it was split (issue 18). Their tables and rows stay as they
are (state operations only; 0002 gives the tables this app's names), and what named the old app
is relabelled: content types, so permissions and the groups that hold them follow, the keys that
name a row as text, and the tasks waiting in the outbox.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from npq_portal.migration_helpers import (
    EMAIL_LOG_KEY,
    move_content_types,
    move_keys,
    rename_outbox_tasks,
)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("npq_portal", "0005_personal_data_requests"),
        ("participants", "0012_school_indexes_for_import"),
        ("programmes", "0003_assessment_word_limits_data"),
        ("schools", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Subscriber",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("email", models.EmailField(max_length=254, unique=True)),
                        ("first_name", models.CharField(max_length=150)),
                        ("last_name", models.CharField(max_length=150)),
                        (
                            "consent_text",
                            models.TextField(
                                help_text="The words they agreed to, as shown to them."
                            ),
                        ),
                        ("consented_at", models.DateTimeField()),
                        ("confirmations_sent", models.PositiveSmallIntegerField(default=0)),
                        (
                            "confirmations_on",
                            models.DateField(
                                blank=True,
                                help_text="The day confirmations_today counts.",
                                null=True,
                            ),
                        ),
                        ("confirmations_today", models.PositiveSmallIntegerField(default=0)),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                        ("unsubscribed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "programmes",
                            models.ManyToManyField(
                                blank=True, related_name="subscribers", to="programmes.programme"
                            ),
                        ),
                        (
                            "school",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="schools.school",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "participants_subscriber",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(old_app="participants", new_app="mailing_list", models=["subscriber"]),
        move_keys(
            keys=[EMAIL_LOG_KEY], labels={"participants.subscriber": "mailing_list.subscriber"}
        ),
        rename_outbox_tasks(
            {
                "participants.tasks.subscriber_send_email_task": "mailing_list.tasks.subscriber_send_email_task",
                "participants.tasks.cohort_announce_task": "mailing_list.tasks.cohort_announce_task",
                "participants.tasks.subscribers_expire_task": "mailing_list.tasks.subscribers_expire_task",
            }
        ),
    ]
