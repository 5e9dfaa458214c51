"""Django's state learns that funding decisions and their overrides live in this app now.

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
)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("npq_portal", "0005_personal_data_requests"),
        ("participants", "0012_school_indexes_for_import"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FundingDecision",
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
                            "subject",
                            models.CharField(
                                help_text="What it decides, e.g. applications.application:12.",
                                max_length=120,
                            ),
                        ),
                        ("rules", models.CharField(max_length=20, verbose_name="rule set")),
                        (
                            "facts",
                            models.JSONField(
                                help_text="The facts as evaluated, list memberships included."
                            ),
                        ),
                        (
                            "list_versions",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="The eligibility list versions used, by kind.",
                            ),
                        ),
                        ("status", models.CharField(max_length=60)),
                        ("funded", models.BooleanField()),
                        ("subject_to_review", models.BooleanField(default=False)),
                        ("reason", models.TextField()),
                        ("bursary_eligible", models.BooleanField(blank=True, null=True)),
                        ("bursary_amount", models.PositiveIntegerField(default=0)),
                        ("override_status", models.CharField(blank=True, max_length=60)),
                        ("override_reason", models.TextField(blank=True)),
                        ("overridden_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "overridden_by",
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
                        "db_table": "participants_fundingdecision",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="FundingOverride",
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
                        ("status", models.CharField(max_length=60)),
                        ("reason", models.TextField()),
                        ("at", models.DateTimeField(auto_now_add=True)),
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
                        (
                            "decision",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="overrides",
                                to="funding.fundingdecision",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "participants_fundingoverride",
                        "ordering": ["-at", "-pk"],
                    },
                ),
                migrations.AddIndex(
                    model_name="fundingdecision",
                    index=models.Index(fields=["subject"], name="participant_subject_f441b2_idx"),
                ),
                migrations.AddConstraint(
                    model_name="fundingdecision",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("override_status", ""),
                            models.Q(("override_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="funding_override_has_reason",
                    ),
                ),
            ],
            database_operations=[],
        ),
        move_content_types(
            old_app="participants", new_app="funding", models=["fundingdecision", "fundingoverride"]
        ),
        move_keys(
            keys=[EMAIL_LOG_KEY],
            labels={
                "participants.fundingdecision": "funding.fundingdecision",
                "participants.fundingoverride": "funding.fundingoverride",
            },
        ),
    ]
