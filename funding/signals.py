"""Signals funding sends, for apps to its right (dfe) to act on."""

from django.dispatch import Signal

# A funding decision may now fund its subject differently: staff overrode it, or a provisional
# decision was worked out again when a list it waited for came in. Sent inside the transaction
# that changed it, with `decision` (the FundingDecision as it now stands) and `by` (who, if
# anyone); receivers compare what they hold with `decision.effective_funded` themselves.
funding_decision_changed = Signal()
