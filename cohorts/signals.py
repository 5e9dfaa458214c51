"""What cohorts tell the apps that depend on them (they connect in their own ready())."""

from django.dispatch import Signal

# Sent when a cohort opens for applications; receivers: cohort=
cohort_opened = Signal()
# Sent when a published session moves or is cancelled; receivers: session=, change= ("moved"
# or "cancelled"), reason=
session_changed = Signal()
