"""Django's state learns that the reminders done and the opt-outs live in this app now.

They were the participants app's until it was split (issue 18). Their tables and rows stay as they
are (state operations only; 0002 gives the tables this app's names), and what named the old app
is relabelled: content types, so permissions and the groups that hold them follow, the keys that
name a row as text, and the tasks waiting in the outbox.
"""

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
        ("applications", "0001_initial"),
        ("mailing_list", "0001_initial"),
        ("schools", "0001_initial"),
        ("funding", "0001_initial"),
        ("participants", "0012_school_indexes_for_import"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReminderOptOut",
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
                        ("email", models.EmailField(max_length=254, unique=True)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "participants_reminderoptout",
                    },
                ),
                migrations.CreateModel(
                    name="ReminderDone",
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
                        ("rule", models.CharField(max_length=60)),
                        ("about", models.CharField(max_length=120)),
                        ("done_at", models.DateTimeField(auto_now_add=True)),
                        ("sent", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "participants_reminderdone",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("rule", "about"), name="reminder_done_once"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(
            old_app="participants", new_app="reminders", models=["reminderdone", "reminderoptout"]
        ),
        move_keys(
            keys=[EMAIL_LOG_KEY],
            labels={
                "participants.reminderdone": "reminders.reminderdone",
                "participants.reminderoptout": "reminders.reminderoptout",
            },
        ),
        # The rules done name sessions, module windows and waiting-list offers (applications).
        move_keys(
            keys=[("reminders", "ReminderDone", "about")],
            labels={
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
            },
        ),
        rename_outbox_tasks(
            {
                "participants.tasks.reminders_run_task": "reminders.tasks.reminders_run_task",
                "participants.tasks.session_changed_notify_task": "reminders.tasks.session_changed_notify_task",
                "assessment.tasks.assessment_reminders_run_task": "reminders.tasks.assessment_reminders_run_task",
            }
        ),
    ]
