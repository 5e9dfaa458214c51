"""Funding outcomes in words for staff pages: `{{ decision.status|outcome_label }}`."""

from django import template

from funding.rules import OUTCOME_LABELS

register = template.Library()


@register.filter
def outcome_label(code: str) -> str:
    """Staff's words for an outcome code (the code itself for one the rules do not know)."""
    return OUTCOME_LABELS.get(code, code)
