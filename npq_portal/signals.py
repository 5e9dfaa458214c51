"""Signals any app may send or receive."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

# Rows of `sender` (a model) were written in bulk (bulk_create, bulk_update, update, COPY),
# which sends no post_save: `cohort_ids` are the cohorts whose rows they were (none for rows
# of no cohort, like schools). reports/handlers.py moves those cohorts' kept milestone days on,
# and the engagement pages' version for what they read (schools, local authorities, Work Group
# places); dfe/handlers.py empties the reconciliation verdicts that read such rows.
rows_written = Signal()


def on_saves_and_deletions(receiver, models, uid: str) -> None:
    """Connect `receiver` to every save and deletion of each of `models`, each connection named
    after `uid` (an app's label and what it does) and the model, so it is made once."""
    for model in models:
        name = model._meta.model_name
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}_on_{name}_saved")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}_on_{name}_deleted")
