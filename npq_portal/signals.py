"""Signals any app may send or receive."""

from django.dispatch import Signal

# Rows of `sender` (a model) were written in bulk (bulk_create, bulk_update, update, COPY),
# which sends no post_save: `cohort_ids` are the cohorts whose rows they were (none for rows
# of no cohort, like schools). reports/handlers.py moves those cohorts' kept milestone days on,
# and the engagement pages' version for what they read (schools, local authorities, Work Group
# places); dfe/handlers.py empties the reconciliation verdicts that read such rows.
rows_written = Signal()
