"""Signals any app may send or receive."""

from django.dispatch import Signal

# Rows of `sender` (a model) were written in bulk (bulk_create, bulk_update, update), which
# sends no post_save: `cohort_ids` are the cohorts whose rows they were. reports/handlers.py
# moves those cohorts' kept milestone days on.
rows_written = Signal()
