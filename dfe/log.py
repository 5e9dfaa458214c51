"""The sync log's reads: a page of the calls made to DfE and the recent pulls, newest first, for
the filters chosen, each by a fixed query (npq_portal.prepared) for each set of filters used,
rather than composed on every visit."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from npq_portal.prepared import fixed_objects

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
        query, args = _shaped(_calls_query, self._filters)
        return fixed_objects(query, *args, limit=max(stop - start, 0), offset=start)


def recent_pulls(filters: dict, count: int) -> list[Sync]:
    """The latest `count` pulls matching the filters (failed ones, for failures only)."""
    query, args = _shaped(_pulls_query, filters)
    return fixed_objects(query, *args, limit=count)


def _shaped(make, filters: dict) -> tuple:
    """The fixed query for this set of filters, and its arguments."""
    args = []
    if "connection" in filters:
        args.append(filters["connection"])
    if "day" in filters:
        args += filters["day"]
    return make(tuple(filters)), args


@functools.cache
def _calls_query(shape: tuple[str, ...]):
    def sync_log_calls(*args):
        calls = Call.objects.with_connection_name().order_by("-at", "-pk")
        args = list(args)
        if "connection" in shape:
            calls = calls.filter(connection_id=args.pop(0))
        if "failures" in shape:
            calls = calls.filter(Q(status__isnull=True) | Q(status__gte=400))
        if "day" in shape:
            calls = calls.filter(at__gte=args.pop(0), at__lt=args.pop(0))
        return calls

    return sync_log_calls


@functools.cache
def _pulls_query(shape: tuple[str, ...]):
    def sync_log_pulls(*args):
        pulls = Sync.objects.with_connection_name().order_by("-started_at", "-pk")
        args = list(args)
        if "connection" in shape:
            pulls = pulls.filter(connection_id=args.pop(0))
        if "failures" in shape:
            pulls = pulls.filter(succeeded=False)
        if "day" in shape:
            pulls = pulls.filter(started_at__gte=args.pop(0), started_at__lt=args.pop(0))
        return pulls

    return sync_log_pulls
