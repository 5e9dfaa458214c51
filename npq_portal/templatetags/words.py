"""`{{ code|words:"funding_outcome" }}`: a stored code in the words staff read (npq_portal/words.py).

A builtin (settings.TEMPLATES), so every template has it without a {% load %}.
"""

from django import template

from npq_portal.words import word

register = template.Library()


@register.filter(name="words")
def words(code, vocabulary: str) -> str:
    return word(vocabulary, code)
