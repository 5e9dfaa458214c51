"""Amounts of money as people read them: fees are kept in whole pounds."""

from __future__ import annotations


def pounds(amount: int | None) -> str:
    """£1,250 for 1250; an empty string for None (no amount)."""
    if amount is None or amount == "":
        return ""
    return f"£{int(amount):,}"
