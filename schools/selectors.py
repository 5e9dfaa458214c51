"""Reads across the eligibility lists: every current list as sets, for evaluating many people."""

from __future__ import annotations

from dataclasses import dataclass

from .models import EligibilityList, EligibilityListEntry


@dataclass
class EligibilityIndex:
    """Every current eligibility list as a set, loaded once, for evaluating many people."""

    members: dict[str, frozenset[str]]
    versions: dict[str, int]

    def flags(self, *, urn: str = "", ukprn: str = "") -> dict[str, bool]:
        """The `on_*` facts of the funding rules for an institution with this URN or UKPRN."""
        flags = {}
        for kind, fact in EligibilityList.FACT.items():
            column = EligibilityList.IDENTIFIER[kind]
            key = ukprn if column == "UKPRN" else urn
            flags[fact] = bool(key) and key.upper() in self.members.get(kind, frozenset())
        return flags


def eligibility_index() -> EligibilityIndex:
    """The current version of every list (one query for the versions, one for their entries)."""
    current = dict(EligibilityList.objects.current().values_list("pk", "kind"))
    members: dict[str, set[str]] = {kind: set() for kind in current.values()}
    entries = EligibilityListEntry.objects.filter(eligibility_list_id__in=current).values_list(
        "eligibility_list_id", "identifier"
    )
    for list_id, identifier in entries.iterator(chunk_size=20000):
        members[current[list_id]].add(identifier)
    return EligibilityIndex(
        members={kind: frozenset(values) for kind, values in members.items()},
        versions={kind: pk for pk, kind in current.items()},
    )
