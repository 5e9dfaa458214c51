"""`{{ session.starts_at|when }}`: a session's day and time, with the year when it is more than
six months from today (so "Tue 14 Oct" is never read as this year's when it is next year's).

A builtin (settings.TEMPLATES), so every template has it without a {% load %}.
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

NEAR = datetime.timedelta(days=183)  # six months


@register.filter(name="when")
def when(moment: datetime.datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    near = abs(local - timezone.now()) <= NEAR
    day = "D j M" if near else "D j M Y"
    return date_format(local, f"{day}, H:i" if with_time else day)
