"""Django's state learns that applications and their history live in this app now.

They were the participants app's until it was split (issue 18). Their tables and rows stay as they
are (state operations only; 0002 gives the tables this app's names), and what named the old app
is relabelled: content types, so permissions and the groups that hold them follow, the keys that
name a row as text, and the tasks waiting in the outbox.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
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
        ("cohorts", "0001_cohorts_sessions_calendars"),
        ("funding", "0001_initial"),
        ("schools", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Application",
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
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "Draft"),
                                    ("awaiting_school", "Waiting for school approval"),
                                    ("school_approved", "Approved by school"),
                                    ("school_declined", "Declined by school"),
                                    ("accepted", "Place offered"),
                                    ("waitlisted", "On the waiting list"),
                                    ("rejected", "Not offered a place"),
                                    ("withdrawn", "Withdrawn"),
                                ],
                                default="draft",
                                max_length=20,
                            ),
                        ),
                        (
                            "answers",
                            models.JSONField(
                                blank=True, default=dict, help_text="The form's answers so far."
                            ),
                        ),
                        ("trn", models.CharField(blank=True, max_length=7, verbose_name="TRN")),
                        ("headteacher_name", models.CharField(blank=True, max_length=200)),
                        ("headteacher_email", models.EmailField(blank=True, max_length=254)),
                        ("submitted_at", models.DateTimeField(blank=True, null=True)),
                        ("school_decided_by", models.CharField(blank=True, max_length=200)),
                        ("school_decided_by_email", models.EmailField(blank=True, max_length=254)),
                        ("school_decided_at", models.DateTimeField(blank=True, null=True)),
                        ("school_comment", models.TextField(blank=True)),
                        (
                            "approver_email",
                            models.EmailField(
                                blank=True,
                                help_text="Who the approval link goes to: the headteacher or their delegate.",
                                max_length=254,
                            ),
                        ),
                        ("waitlisted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "offer_expires_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="A waiting-list place offered: when the offer lapses.",
                                null=True,
                            ),
                        ),
                        (
                            "offer_lapsed_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="They did not take up an offered place in time.",
                                null=True,
                            ),
                        ),
                        (
                            "approval_chases",
                            models.PositiveSmallIntegerField(
                                default=0, help_text="Reminders sent to the approver so far."
                            ),
                        ),
                        (
                            "applicant",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="applications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "cohort",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="applications",
                                to="cohorts.cohort",
                            ),
                        ),
                        (
                            "funding_decision",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="funding.fundingdecision",
                            ),
                        ),
                        (
                            "school",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="applications",
                                to="schools.school",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "participants_application",
                        "ordering": ["-created_at", "-pk"],
                        "permissions": [
                            ("decide_application", "Can accept, waitlist and reject applications")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ApplicationEvent",
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
                            "from_status",
                            models.CharField(
                                choices=[
                                    ("draft", "Draft"),
                                    ("awaiting_school", "Waiting for school approval"),
                                    ("school_approved", "Approved by school"),
                                    ("school_declined", "Declined by school"),
                                    ("accepted", "Place offered"),
                                    ("waitlisted", "On the waiting list"),
                                    ("rejected", "Not offered a place"),
                                    ("withdrawn", "Withdrawn"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "to_status",
                            models.CharField(
                                choices=[
                                    ("draft", "Draft"),
                                    ("awaiting_school", "Waiting for school approval"),
                                    ("school_approved", "Approved by school"),
                                    ("school_declined", "Declined by school"),
                                    ("accepted", "Place offered"),
                                    ("waitlisted", "On the waiting list"),
                                    ("rejected", "Not offered a place"),
                                    ("withdrawn", "Withdrawn"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "by_name",
                            models.CharField(
                                blank=True, help_text="Who, without an account.", max_length=200
                            ),
                        ),
                        ("reason", models.TextField(blank=True)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        (
                            "application",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="applications.application",
                            ),
                        ),
                        (
                            "by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "participants_applicationevent",
                        "ordering": ["at", "pk"],
                    },
                ),
                migrations.AddIndex(
                    model_name="application",
                    index=models.Index(fields=["submitted_at", "id"], name="application_queue_idx"),
                ),
                migrations.AddIndex(
                    model_name="application",
                    index=models.Index(
                        fields=["status", "submitted_at", "id"], name="application_status_queue_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="application",
                    index=models.Index(
                        fields=["cohort", "submitted_at", "id"], name="application_cohort_queue_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="application",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(
                            ("status__in", ["rejected", "withdrawn"]), _negated=True
                        ),
                        fields=("applicant", "cohort"),
                        name="one_live_application_per_cohort",
                    ),
                ),
            ],
            database_operations=[],
        ),
        move_content_types(
            old_app="participants",
            new_app="applications",
            models=["application", "applicationevent"],
        ),
        move_keys(
            keys=[EMAIL_LOG_KEY, ("funding", "FundingDecision", "subject")],
            labels={
                "participants.application": "applications.application",
                "participants.applicationevent": "applications.applicationevent",
            },
        ),
        rename_outbox_tasks(
            {
                "participants.tasks.application_send_email_task": "applications.tasks.application_send_email_task",
                "participants.tasks.approvals_chase_task": "applications.tasks.approvals_chase_task",
                "participants.tasks.waitlist_offers_expire_task": "applications.tasks.waitlist_offers_expire_task",
            }
        ),
    ]
