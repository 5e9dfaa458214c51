"""The sync log's reads: a page of the calls made to DfE and the recent pulls, newest first, for
the filters chosen, each by a fixed query (npq_portal.prepared) for each set of filters used,
rather than composed on every visit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from npq_portal.prepared import fixed_objects, fixed_query_of

from .models import Call, Sync


def log_filters_read(data: Mapping | None) -> dict | None:
    """The filters the log applies, from its form's cleaned data, each as the queries take it:
    a connection's id, failures only (True), and the day as the moments it starts and ends in
    the hub's time zone. None when the filters cannot be used (the form says why)."""
    if data is None:
        return None
    found: dict = {}
    if data.get("connection"):
        found["connection"] = data["connection"].pk
    if data.get("failures"):
        found["failures"] = True
    if data.get("day"):
        start = timezone.make_aware(datetime.combine(data["day"], time.min))
        found["day"] = (start, start + timedelta(days=1))
    return found


class CallLog:
    """The calls matching the filters, newest first, read a page at a time (`log[a:b]`, as a
    paginator asks); none when the filters cannot be used."""

    def __init__(self, filters: dict | None):
        self._filters = filters

    def __getitem__(self, index: slice) -> list[Call]:
        if self._filters is None:
            return []
        start, stop = index.start or 0, index.stop
        if index.step not in (None, 1) or stop is None:
            raise ValueError("The sync log is read a page at a time.")
        return _logged(Call, self._filters, limit=max(stop - start, 0), offset=start)


def recent_pulls(filters: dict, count: int) -> list[Sync]:
    """The latest `count` pulls matching the filters (failed ones, for failures only)."""
    return _logged(Sync, filters, limit=count)


# What each of the log's lists is ordered and filtered by: when it happened, and a failure.
_LOGS = {
    Call: ("at", Q(status__isnull=True) | Q(status__gte=400)),
    Sync: ("started_at", Q(succeeded=False)),
}


def _logged(model, filters: dict, **page) -> list:
    """A page of the calls or pulls (`model`) matching the filters, newest first, by the fixed
    query for this list and set of filters."""
    args = []
    if "connection" in filters:
        args.append(filters["connection"])
    if "day" in filters:
        args += filters["day"]
    query = fixed_query_of(_log_rows, (model, *filters))
    return fixed_objects(query, *args, **page)


def _log_rows(shape: tuple, *args):
    """A list of the log (`shape`: its model, then the filters in use), by the filters' values:
    a connection's id, then the day's start and end (as _logged gives them)."""
    model, filters = shape[0], shape[1:]
    moment, failure = _LOGS[model]
    rows = model.objects.with_connection_name().order_by(f"-{moment}", "-pk")
    args = list(args)
    if "connection" in filters:
        rows = rows.filter(connection_id=args.pop(0))
    if "failures" in filters:
        rows = rows.filter(failure)
    if "day" in filters:
        rows = rows.filter(**{f"{moment}__gte": args.pop(0), f"{moment}__lt": args.pop(0)})
    return rows
