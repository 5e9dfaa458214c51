"""Django's state learns that schools, other institutions, DfE's eligibility lists and school leaders live in this app now.

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
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LocalAuthority",
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
                        ("code", models.CharField(max_length=3, unique=True)),
                        ("name", models.CharField(max_length=100)),
                    ],
                    options={
                        "verbose_name_plural": "local authorities",
                        "db_table": "participants_localauthority",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="PrivateChildcareProvider",
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
                            "provider_urn",
                            models.CharField(max_length=12, unique=True, verbose_name="Ofsted URN"),
                        ),
                        ("name", models.CharField(max_length=255)),
                        ("postcode", models.CharField(blank=True, max_length=10)),
                        (
                            "la_code",
                            models.CharField(blank=True, max_length=3, verbose_name="LA code"),
                        ),
                    ],
                    options={
                        "db_table": "participants_privatechildcareprovider",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="EligibilityList",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("pp50_schools", "PP50 schools (by URN)"),
                                    ("pp50_further_education", "PP50 further education (by UKPRN)"),
                                    ("rise", "RISE schools (by URN)"),
                                    ("childminders", "Childminders (by Ofsted URN)"),
                                    (
                                        "la_disadvantaged_nurseries",
                                        "Local-authority disadvantaged nurseries (by URN)",
                                    ),
                                    (
                                        "disadvantaged_early_years",
                                        "Disadvantaged early years settings (by URN or Ofsted URN)",
                                    ),
                                    (
                                        "bursary_further_education",
                                        "Further-education bodies named for the bursary (by UKPRN)",
                                    ),
                                ],
                                max_length=40,
                            ),
                        ),
                        ("file_name", models.CharField(max_length=255)),
                        ("uploaded_at", models.DateTimeField()),
                        ("entry_count", models.PositiveIntegerField(default=0)),
                        ("is_current", models.BooleanField(default=True)),
                        (
                            "uploaded_by",
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
                        "db_table": "participants_eligibilitylist",
                        "ordering": ["kind", "-uploaded_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="EligibilityListEntry",
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
                        ("identifier", models.CharField(max_length=20)),
                        ("name", models.CharField(blank=True, max_length=255)),
                        (
                            "eligibility_list",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="entries",
                                to="schools.eligibilitylist",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "participants_eligibilitylistentry",
                    },
                ),
                migrations.CreateModel(
                    name="GiasImport",
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
                        ("file_name", models.CharField(max_length=255)),
                        ("stored_path", models.CharField(blank=True, max_length=500)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("waiting", "Waiting to start"),
                                    ("validating", "Checking the file"),
                                    ("importing", "Importing"),
                                    ("done", "Done"),
                                    ("failed", "Failed: nothing was imported"),
                                ],
                                default="waiting",
                                max_length=20,
                            ),
                        ),
                        ("total_rows", models.PositiveIntegerField(default=0)),
                        ("processed_rows", models.PositiveIntegerField(default=0)),
                        ("created_count", models.PositiveIntegerField(default=0)),
                        ("updated_count", models.PositiveIntegerField(default=0)),
                        ("unchanged_count", models.PositiveIntegerField(default=0)),
                        ("closed_count", models.PositiveIntegerField(default=0)),
                        ("error", models.TextField(blank=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "uploaded_by",
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
                        "db_table": "participants_giasimport",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="School",
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
                        ("urn", models.PositiveIntegerField(unique=True, verbose_name="URN")),
                        ("ukprn", models.CharField(blank=True, max_length=8, verbose_name="UKPRN")),
                        ("name", models.CharField(max_length=255)),
                        ("name_normalised", models.CharField(editable=False, max_length=255)),
                        (
                            "la_code",
                            models.CharField(blank=True, max_length=3, verbose_name="LA code"),
                        ),
                        (
                            "la_name",
                            models.CharField(
                                blank=True, max_length=100, verbose_name="local authority"
                            ),
                        ),
                        (
                            "establishment_type_code",
                            models.PositiveSmallIntegerField(blank=True, null=True),
                        ),
                        ("establishment_type_name", models.CharField(blank=True, max_length=100)),
                        (
                            "status_code",
                            models.PositiveSmallIntegerField(
                                choices=[
                                    (1, "Open"),
                                    (2, "Closed"),
                                    (3, "Open, but proposed to close"),
                                    (4, "Proposed to open"),
                                ],
                                default=1,
                            ),
                        ),
                        (
                            "phase_name",
                            models.CharField(blank=True, max_length=40, verbose_name="phase"),
                        ),
                        ("town", models.CharField(blank=True, max_length=100)),
                        ("postcode", models.CharField(blank=True, max_length=10)),
                        (
                            "postcode_normalised",
                            models.CharField(blank=True, editable=False, max_length=10),
                        ),
                        ("number_of_pupils", models.PositiveIntegerField(blank=True, null=True)),
                        ("open_date", models.DateField(blank=True, null=True)),
                        ("close_date", models.DateField(blank=True, null=True)),
                        ("last_changed_date", models.DateField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "participants_school",
                        "ordering": ["name", "urn"],
                        "indexes": [
                            models.Index(
                                fields=["ukprn"],
                                name="school_ukprn_idx",
                                opclasses=["varchar_pattern_ops"],
                            ),
                            models.Index(
                                fields=["postcode_normalised"],
                                name="school_postcode_prefix_idx",
                                opclasses=["varchar_pattern_ops"],
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SchoolLeadership",
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
                        ("confirmed_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "confirmed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "school",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="leaderships",
                                to="schools.school",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="school_leaderships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "participants_schoolleadership",
                    },
                ),
                migrations.AddConstraint(
                    model_name="eligibilitylist",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("is_current", True)),
                        fields=("kind",),
                        name="one_current_eligibility_list_per_kind",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="eligibilitylistentry",
                    constraint=models.UniqueConstraint(
                        fields=("eligibility_list", "identifier"),
                        name="eligibility_entry_once_per_list",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="schoolleadership",
                    constraint=models.UniqueConstraint(
                        fields=("user", "school"), name="one_leadership_per_school"
                    ),
                ),
            ],
            database_operations=[],
        ),
        move_content_types(
            old_app="participants",
            new_app="schools",
            models=[
                "school",
                "localauthority",
                "privatechildcareprovider",
                "giasimport",
                "eligibilitylist",
                "eligibilitylistentry",
                "schoolleadership",
            ],
        ),
        move_keys(
            keys=[EMAIL_LOG_KEY],
            labels={
                "participants.school": "schools.school",
                "participants.localauthority": "schools.localauthority",
                "participants.privatechildcareprovider": "schools.privatechildcareprovider",
                "participants.giasimport": "schools.giasimport",
                "participants.eligibilitylist": "schools.eligibilitylist",
                "participants.eligibilitylistentry": "schools.eligibilitylistentry",
                "participants.schoolleadership": "schools.schoolleadership",
            },
        ),
        rename_outbox_tasks(
            {"participants.tasks.gias_import_task": "schools.tasks.gias_import_task"}
        ),
    ]
