"""What a place costs when it is not funded, and who is asked to pay, as each reader is told."""

from __future__ import annotations

from npq_portal.money import pounds

# Who pays, by the payment question's answers (steps.PaymentForm), as staff read it.
PAYER_LABELS = {"school": "The school", "trust": "The school's trust", "self": "The applicant"}


def application_fee_sentence(application) -> str:
    """The fee and who pays, for the person approving for the school (page and email).

    e.g. "If the place is not funded, the school is asked to pay £1,250."
    """
    fee = application.cohort.effective_fee
    if not fee:
        return "There is no fee: a place in this cohort costs nothing."
    amount = pounds(fee)
    payer = application.answers.get("payment")
    if payer == "self":
        name = application.applicant.get_full_name() or "The applicant"
        return f"If the place is not funded, {name} has said they will pay the {amount} fee."
    if payer == "trust":
        return f"If the place is not funded, the school's trust is asked to pay {amount}."
    return f"If the place is not funded, the school is asked to pay {amount}."
