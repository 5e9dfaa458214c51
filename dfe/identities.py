"""DfE's participant ids, which DfE retires when it merges two records of one person.

DfE says so in a participant's `participant_id_changes`, or by answering 410 Gone (with the
changes) to a request naming a retired id. `participant_ids_follow` records each change and
moves everything the portal keeps under the old id (DfE applications, declarations) to the new
one. Pulls (dfe/sync.py) and the senders (dfe/decisions.py, dfe/declarations.py) all use it, so
it sits below them all.

A merge can bring two live declarations of one type together (one made under each id). The
portal keeps at most one live declaration per participant, course and type
(`one_live_dfe_declaration_per_type`), so the old id's one is left under the old id, and the
log says so; the next pull of declarations brings DfE's state for both (DfE voids one, or
staff void one), and a declaration no longer live moves to the new id then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .client import DfeClient, DfeGone
from .connection import parse_dfe_time
from .models import LIVE_DECLARATION_STATES, Declaration, DfeApplication, ParticipantIdChange
from .ready_counts import ready_stale

logger = logging.getLogger(__name__)

PARTICIPANTS_PATH = "/api/v3/participants/npq"


def _declarations_move(old: str, new: str) -> int:
    """Move the old id's declarations to the new id, but not a live one whose type the new id
    holds live already (the database allows one); returns how many moved."""
    held_live = Declaration.objects.filter(
        participant_id=new,
        course_identifier=OuterRef("course_identifier"),
        declaration_type=OuterRef("declaration_type"),
        state__in=LIVE_DECLARATION_STATES,
    )
    under_old = Declaration.objects.filter(participant_id=old)
    clashing = list(
        under_old.filter(Exists(held_live), state__in=LIVE_DECLARATION_STATES).values_list(
            "pk", "declaration_type"
        )
    )
    for pk, declaration_type in clashing:
        logger.warning(
            "DfE merged participant %s into %s, which holds a live %s declaration already: "
            "declaration %s keeps the old id until DfE's next answer on it",
            old,
            new,
            declaration_type,
            pk,
        )
    return under_old.exclude(pk__in=[pk for pk, _ in clashing]).update(participant_id=new)


@transaction.atomic
def participant_ids_follow(changes: Iterable[dict]) -> int:
    """Record each participant id DfE retired and move everything the portal keeps under the
    old id (DfE applications, declarations) to the new one, oldest change first.

    `changes` are DfE's `participant_id_changes` (from a participant, or a 410 Gone). Returns
    how many records moved. A live declaration whose type the new id holds live already stays
    under the old id (see the module docstring).
    """
    moved = 0
    ordered = sorted(changes, key=lambda change: change.get("changed_at") or "")
    for change in ordered:
        old, new = change["from_participant_id"], change["to_participant_id"]
        ParticipantIdChange.objects.update_or_create(
            from_participant_id=old,
            defaults={
                "to_participant_id": new,
                "changed_at": parse_dfe_time(change.get("changed_at")) or timezone.now(),
            },
        )
        here = DfeApplication.objects.filter(participant_id=old).update(participant_id=new)
        here += _declarations_move(old, new)
        if here:  # updates send no signals (dfe/ready_counts.py)
            ready_stale()
        if here:
            logger.info("DfE participant id %s became %s (%d records)", old, new, here)
        moved += here
    return moved


def replacement_for(participant_id: str, gone: DfeGone) -> str | None:
    """The id DfE's 410 says replaced this one (None when it names none)."""
    for change in gone.participant_id_changes:
        if str(change.get("from_participant_id")) == str(participant_id):
            return str(change["to_participant_id"])
    return None


def participant_get(*, client: DfeClient, participant_id: str) -> dict:
    """One participant from DfE; if DfE retired the id (410), follow it and ask for the new one."""
    try:
        return client.get(f"{PARTICIPANTS_PATH}/{participant_id}")["data"]
    except DfeGone as gone:
        participant_ids_follow(gone.participant_id_changes)
        new = replacement_for(participant_id, gone)
        if new is None:
            raise
        return client.get(f"{PARTICIPANTS_PATH}/{new}")["data"]
