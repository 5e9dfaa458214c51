"""Signals applications sends, for apps to its right (dfe) to act on."""

from django.dispatch import Signal

# An application was decided: accepted, rejected, or withdrawn by the applicant. Sent inside
# the transaction that decided it, with `application`, `status` (its new status) and `by` (who, if anyone); receivers
# change their own app's records in it (and queue what must happen after the commit).
application_decided = Signal()
