"""What cohorts tell the apps that depend on them (they connect in their own ready())."""

from django.dispatch import Signal

# Sent when a cohort opens for applications; receivers: cohort=
cohort_opened = Signal()
