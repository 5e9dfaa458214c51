"""Trigram indexes for school search and the searches that name a school (issue 22); on
SQLite, nothing.

SchoolQuerySet.search looks for each word typed in `name_normalised` (`contains`, so the
column itself) or the town (`icontains`); the review queue and the audit log look in the
school's name (`icontains`). Plain CREATE INDEX in the migration's transaction (a fraction of
a second at 50,000 schools), for the reasons npq_portal's 0007 gives.
"""

from django.db import migrations

from npq_portal.trigram import analyze, trigram_index, upper


class Migration(migrations.Migration):
    dependencies = [
        ("npq_portal", "0007_trigram_search"),
        ("schools", "0004_work_groups"),
    ]

    operations = [
        trigram_index(
            name="school_name_normalised_trgm_idx",
            table="schools_school",
            expression='"name_normalised"',
        ),
        trigram_index(
            name="school_town_trgm_idx", table="schools_school", expression=upper("town")
        ),
        trigram_index(
            name="school_name_trgm_idx", table="schools_school", expression=upper("name")
        ),
        analyze("schools_school"),
    ]
