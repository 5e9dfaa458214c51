"""Signals assessment sends, for apps to its right (dfe) to act on."""

from django.dispatch import Signal

# An assessment outcome was released to the participant: a first result, or a later attempt's
# (a resubmission that passed changes the place's result). Sent inside the transaction that
# released it, with `outcome` and `enrolment` (the place the result was recorded on: where the
# person is now, after any transfer).
outcome_released = Signal()
