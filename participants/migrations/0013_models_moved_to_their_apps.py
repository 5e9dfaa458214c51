"""Django's state forgets the models that moved to their own apps (issue 18).

Schools, eligibility lists and school leaders went to schools; funding decisions to funding;
subscribers to mailing_list; applications to applications; reminders done and opt-outs to
reminders. Each of those apps' 0001 took the models over, tables and rows as they are; here they
leave participants' state only, and a place's application now points at applications'.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
        ("funding", "0001_initial"),
        ("mailing_list", "0001_initial"),
        ("reminders", "0001_initial"),
        ("schools", "0001_initial"),
        ("participants", "0012_school_indexes_for_import"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="application",
                    name="applicant",
                ),
                migrations.RemoveField(
                    model_name="application",
                    name="cohort",
                ),
                migrations.RemoveField(
                    model_name="application",
                    name="funding_decision",
                ),
                migrations.RemoveField(
                    model_name="application",
                    name="school",
                ),
                migrations.RemoveField(
                    model_name="applicationevent",
                    name="application",
                ),
                migrations.AlterField(
                    model_name="enrolment",
                    name="application",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enrolments",
                        to="applications.application",
                    ),
                ),
                migrations.RemoveField(
                    model_name="applicationevent",
                    name="by",
                ),
                migrations.RemoveField(
                    model_name="eligibilitylist",
                    name="uploaded_by",
                ),
                migrations.RemoveField(
                    model_name="eligibilitylistentry",
                    name="eligibility_list",
                ),
                migrations.RemoveField(
                    model_name="fundingdecision",
                    name="decided_by",
                ),
                migrations.RemoveField(
                    model_name="fundingdecision",
                    name="overridden_by",
                ),
                migrations.RemoveField(
                    model_name="fundingoverride",
                    name="decision",
                ),
                migrations.RemoveField(
                    model_name="fundingoverride",
                    name="by",
                ),
                migrations.RemoveField(
                    model_name="giasimport",
                    name="uploaded_by",
                ),
                migrations.DeleteModel(
                    name="LocalAuthority",
                ),
                migrations.DeleteModel(
                    name="PrivateChildcareProvider",
                ),
                migrations.DeleteModel(
                    name="ReminderDone",
                ),
                migrations.DeleteModel(
                    name="ReminderOptOut",
                ),
                migrations.RemoveField(
                    model_name="schoolleadership",
                    name="school",
                ),
                migrations.RemoveField(
                    model_name="subscriber",
                    name="school",
                ),
                migrations.RemoveField(
                    model_name="schoolleadership",
                    name="confirmed_by",
                ),
                migrations.RemoveField(
                    model_name="schoolleadership",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="subscriber",
                    name="programmes",
                ),
                migrations.DeleteModel(
                    name="Application",
                ),
                migrations.DeleteModel(
                    name="ApplicationEvent",
                ),
                migrations.DeleteModel(
                    name="EligibilityList",
                ),
                migrations.DeleteModel(
                    name="EligibilityListEntry",
                ),
                migrations.DeleteModel(
                    name="FundingDecision",
                ),
                migrations.DeleteModel(
                    name="FundingOverride",
                ),
                migrations.DeleteModel(
                    name="GiasImport",
                ),
                migrations.DeleteModel(
                    name="School",
                ),
                migrations.DeleteModel(
                    name="SchoolLeadership",
                ),
                migrations.DeleteModel(
                    name="Subscriber",
                ),
            ],
            database_operations=[],
        ),
    ]
