"""pg_trgm, and trigram indexes for the people search and the email log's recipient filter
(issue 22); on SQLite, nothing.

Plain CREATE INDEX inside the migration's transaction, not CONCURRENTLY (which cannot run in
one): building them takes about a second at 100,000 people and 340,000 emails, during which
writes to those tables wait. A deployment that cannot pause writes for that long would make
this migration non-atomic and the indexes CONCURRENTLY; at the hub's size it is not worth
losing the all-or-nothing migration. Each table is then analysed, so the planner has the
indexed expressions' statistics (npq_portal.trigram.analyze). The schools' and applications'
indexes follow in their own apps' migrations, which depend on this one for the extension.
"""

from django.db import migrations

from npq_portal.trigram import analyze, trigram_extension, trigram_index, upper


class Migration(migrations.Migration):
    dependencies = [
        ("npq_portal", "0006_email_body"),
    ]

    operations = [
        trigram_extension(),
        # PersonListView, the review queue and the audit log: email, first or last name.
        trigram_index(
            name="user_email_trgm_idx", table="npq_portal_user", expression=upper("email")
        ),
        trigram_index(
            name="user_first_name_trgm_idx", table="npq_portal_user", expression=upper("first_name")
        ),
        trigram_index(
            name="user_last_name_trgm_idx", table="npq_portal_user", expression=upper("last_name")
        ),
        # EmailDeliveryListView's ?recipient=.
        trigram_index(
            name="email_delivery_recipient_trgm_idx",
            table="npq_portal_emaildelivery",
            expression=upper("recipient"),
        ),
        analyze("npq_portal_user"),
        analyze("npq_portal_emaildelivery"),
    ]
