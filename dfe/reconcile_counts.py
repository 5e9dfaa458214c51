"""The reconciliation page's counts, kept, so that the page does not count every covered
application on every request.

What is kept (`ReconciliationCounts`, one row for each choice of DfE cohorts and course): how
many of the portal's covered applications DfE has none for ("only in the portal"), and how
many linked DfE applications agree and disagree. Counting the first read every covered
application (about 50,000 in a hub's year, 15–20 ms); the second, every linked one.

Each row carries the version it was counted at and the day, and the scope names what it
was counted for: the DfE cohorts and course chosen, and what the switched-on connections
cover (their NPQs with their course identifiers, and their DfE cohorts), read on every
request. A row whose version or day is not the current one is counted again.

The version moves on with every change to what the counts read (`reconciliation_counts_stale`):
- a portal application sent, decided, moved to another cohort, or deleted (not a draft's
  answers: dfe/handlers.py looks at what a save names);
- a cohort's school year or programme;
- a DfE application saved, deleted, stored by a pull or linked by the matching;
- a kept verdict emptied or worked out (dfe/reconcile.py).

The version is a counter of npq_portal/versions.py (made by dfe 0016), which says how it is
moved on and read so that a change committed while a page counts is never kept as counted.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from npq_portal.versions import kept_digest, kept_write, version_and_kept, version_move_on

from .models import ReconciliationCounts

# The sequence (PostgreSQL) or one-row table (SQLite) made by dfe 0016.
VERSION = "dfe_reconciliation_version"
COUNTED = ("portal_only", "matched", "disagreements")


def reconciliation_counts_stale() -> None:
    """Something the reconciliation's counts are counted from changed: move their version on
    (npq_portal/versions.py)."""
    version_move_on(VERSION)


def reconciliation_counts_kept(scope_parts, count: Callable[[], dict[str, int]]) -> dict:
    """The counts for the scope these parts name: the kept ones while their version and day
    are current, else `count()` now, kept."""
    scope = kept_digest(scope_parts)
    today = timezone.localdate()
    # The version read with the counts kept at it, before counting (npq_portal/versions.py).
    version, kept = version_and_kept(
        VERSION,
        ReconciliationCounts._meta.db_table,
        COUNTED,
        {"scope": scope, "day": today.isoformat()},
    )
    if kept is not None:
        return dict(zip(COUNTED, kept, strict=True))
    counts = count()
    _keep(scope, version, today, counts)
    return counts


def _keep(scope: str, version: int, today: datetime.date, counts: dict[str, int]) -> None:
    kept = ReconciliationCounts(
        scope=scope,
        version=version,
        day=today,
        counted_at=timezone.now(),
        **{name: counts[name] for name in COUNTED},
    )
    kept_write(kept, ["scope"], ["version", "day", "counted_at", *COUNTED])
