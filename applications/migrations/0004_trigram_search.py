"""Trigram indexes for the audit log's search of application history (issue 22); on SQLite,
nothing.

The audit log looks for each word typed in, among other things, why a status changed and who
changed it without an account (a headteacher from the emailed link); application history is
the largest history the log reads (two or three changes an application). Plain CREATE INDEX
in the migration's transaction, for the reasons npq_portal's 0007 gives.
"""

from django.db import migrations

from npq_portal.trigram import analyze, trigram_index, upper


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_work_groups"),
        ("npq_portal", "0007_trigram_search"),
    ]

    operations = [
        trigram_index(
            name="application_event_reason_trgm_idx",
            table="applications_applicationevent",
            expression=upper("reason"),
        ),
        trigram_index(
            name="application_event_by_name_trgm_idx",
            table="applications_applicationevent",
            expression=upper("by_name"),
        ),
        analyze("applications_applicationevent"),
    ]
