"""Signals participants sends, for apps to its right (assessment) to act on."""

from django.dispatch import Signal

# A participant withdrew from their place (not a transfer). Sent inside the transaction that
# withdrew them, with `enrolment`; receivers change their own app's records in it.
enrolment_withdrawn = Signal()
