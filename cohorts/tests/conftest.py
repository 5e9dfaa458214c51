import importlib

import pytest
from django.apps import apps

from cohorts.models import TermDateCalendar


@pytest.fixture
def england_term_dates(db) -> TermDateCalendar:
    """The default calendar for England that a migration adds, added again if a transactional
    test (a browser test) has since emptied the database."""
    migration = importlib.import_module("cohorts.migrations.0004_default_term_dates_england")
    migration.add_default_calendar(apps, None)  # does nothing when there is a default
    return TermDateCalendar.objects.get(is_default=True)
