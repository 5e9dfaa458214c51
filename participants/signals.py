"""Signals participants sends, for apps to its right (assessment) to act on."""

from django.dispatch import Signal

# A participant withdrew from their place (not a transfer). Sent inside the transaction that
# withdrew them, with `enrolment` (and `reason`, one of EnrolmentEvent.WithdrawalReason, when
# staff chose one); receivers change their own app's records in it.
enrolment_withdrawn = Signal()

# A participant's place was deferred, or resumed after a deferral. Sent inside the transaction,
# with `enrolment`, `by` (who) and, on deferral, `reason` (staff's words).
enrolment_deferred = Signal()
enrolment_resumed = Signal()

# A participant's place moved to another cohort of the same programme: the old place is closed
# (withdrawn; the new one's `transferred_from` points to it) and a new one made. Sent inside the transaction, with
# `old` and `new`; their work carries over to the new place.
enrolment_transferred = Signal()
