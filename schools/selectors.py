"""Reads across the eligibility lists: every current list as sets, for evaluating many people,
and which lists are not in yet (never uploaded, or older than the date staff count as current)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Subquery
from django.utils import timezone

from npq_portal.numbers import whole_number
from npq_portal.prepared import fixed_rows
from programmes.models import Prerequisite

from .models import (
    EligibilityList,
    EligibilityListEntry,
    EligibilityListsCurrentFrom,
    SchoolProgrammeYear,
)
from .prerequisites import Condition, HistoryYear, PrerequisiteCheck, prerequisites_check


@dataclass(frozen=True)
class ListGap:
    """A list the funding rules may need that is not in: never uploaded, or out of date."""

    kind: str
    uploaded_at: datetime.datetime | None  # None: never uploaded
    current_from: datetime.date | None

    @property
    def label(self) -> str:
        return EligibilityList.Kind(self.kind).label

    @property
    def fact(self) -> str:
        return EligibilityList.FACT[self.kind]

    @property
    def problem(self) -> str:
        """e.g. "has never been uploaded", for after the list's name."""
        if self.uploaded_at is None:
            return "has never been uploaded"
        uploaded, since = timezone.localdate(self.uploaded_at), self.current_from
        return (
            f"was uploaded on {uploaded.day} {uploaded:%B %Y}, before the date the lists are "
            f"current from ({since.day} {since:%B %Y})"
        )


def eligibility_lists_current_from() -> datetime.date | None:
    """The date staff count the lists as current from, or None when they have set none."""
    rows = fixed_rows(_current_from_latest)
    return rows[0][0] if rows else None


def _current_from_setting():
    """The dates staff set, the latest first."""
    return EligibilityListsCurrentFrom.objects.order_by("-set_at", "-pk").values_list(
        "current_from", flat=True
    )


def _current_from_latest():
    """The date staff set last, alone."""
    return _current_from_setting()[:1]


def _current_lists():
    """Each current list's kind and upload time, with the date the lists are current from."""
    return (
        EligibilityList.objects.current()
        .annotate(since=Subquery(_current_from_latest()))
        .values_list("kind", "uploaded_at", "since")
    )


def _gaps(
    uploaded: dict[str, datetime.datetime], current_from: datetime.date | None
) -> list[ListGap]:
    gaps = []
    for kind in EligibilityList.Kind.values:
        at = uploaded.get(kind)
        if at is None or (current_from and timezone.localdate(at) < current_from):
            gaps.append(ListGap(kind=kind, uploaded_at=at, current_from=current_from))
    return gaps


def eligibility_list_gaps() -> list[ListGap]:
    """Each list that is not in, in the order of the kinds: one query, with the date the lists
    are current from read beside the lists (a second one when no list is current), each
    composed once a connection and prepared (npq_portal.prepared.fixed_rows)."""
    rows = fixed_rows(_current_lists)
    uploaded = {kind: at for kind, at, _ in rows}
    current_from = rows[0][2] if rows else eligibility_lists_current_from()
    return _gaps(uploaded, current_from)


@dataclass
class EligibilityIndex:
    """Every current eligibility list as a set, loaded once, for evaluating many people."""

    members: dict[str, frozenset[str]]
    versions: dict[str, int]
    unknown: frozenset[str] = field(default_factory=frozenset)  # kinds not in: see ListGap

    def flags(self, *, urn: str = "", ukprn: str = "") -> dict[str, bool]:
        """The `on_*` facts of the funding rules for an institution with this URN or UKPRN."""
        flags = {}
        for kind, fact in EligibilityList.FACT.items():
            column = EligibilityList.IDENTIFIER[kind]
            key = ukprn if column == "UKPRN" else urn
            flags[fact] = bool(key) and key.upper() in self.members.get(kind, frozenset())
        return flags

    def unknown_facts(self) -> list[str]:
        """The `on_*` facts whose list is not in, for the funding rules' `unknown_lists`."""
        return [fact for kind, fact in EligibilityList.FACT.items() if kind in self.unknown]


def eligibility_index() -> EligibilityIndex:
    """The current version of every list, and which are not in (three queries)."""
    current = {
        pk: (kind, uploaded_at)
        for pk, kind, uploaded_at in EligibilityList.objects.current().values_list(
            "pk", "kind", "uploaded_at"
        )
    }
    members: dict[str, set[str]] = {kind: set() for kind, _ in current.values()}
    entries = EligibilityListEntry.objects.filter(eligibility_list_id__in=current).values_list(
        "eligibility_list_id", "identifier"
    )
    for list_id, identifier in entries.iterator(chunk_size=20000):
        members[current[list_id][0]].add(identifier)
    gaps = _gaps(dict(current.values()), eligibility_lists_current_from())
    return EligibilityIndex(
        members={kind: frozenset(values) for kind, values in members.items()},
        versions={kind: pk for pk, (kind, _) in current.items()},
        unknown=frozenset(gap.kind for gap in gaps),
    )


def school_prerequisites_check(*, school, programme, academic_year: int) -> PrerequisiteCheck:
    """Whether the school's Work Group history (its places in the portal and the years staff
    imported) lets it sign up for `programme` in `academic_year`, and if not, why."""
    return schools_prerequisites_check(
        schools=[school], programme=programme, academic_year=academic_year
    )[school.pk]


def programme_conditions(programme_id: int) -> tuple[Condition, ...]:
    """The programme's prerequisite rules in their order, each with the programmes it names
    (in the programmes' order), from one fixed query (npq_portal.prepared)."""
    rules: dict[int, tuple] = {}
    for pk, kind, or_previous, junior, named, short_name, name in fixed_rows(
        _rules_with_programmes, programme_id
    ):
        rule = rules.setdefault(pk, (kind, [], or_previous, junior))
        if named is not None:
            rule[1].append((named, short_name or name))
    return tuple(
        Condition(
            kind=kind,
            programmes=tuple(named),
            or_previous=or_previous,
            junior_schools_exempt=junior,
        )
        for kind, named, or_previous, junior in rules.values()
    )


def _rules_with_programmes(programme_id: int):
    """A row a rule and programme it names (one with none for a rule naming none)."""
    return (
        Prerequisite.objects.filter(programme=programme_id)
        .order_by("position", "pk", "programmes__family", "programmes__name", "programmes__pk")
        .values_list(
            "pk",
            "kind",
            "or_previous",
            "junior_schools_exempt",
            "programmes__pk",
            "programmes__short_name",
            "programmes__name",
        )
    )


def schools_prerequisites_check(
    *, schools, programme, academic_year: int, history_rows: Callable[[], Iterable] | None = None
) -> dict[int, PrerequisiteCheck]:
    """school_prerequisites_check for many schools at once, in two queries: by school id.
    `history_rows`, given, reads the schools' years instead (rows of school id, programme id,
    academic year and status, in any order: a caller that can find them by something other
    than the schools' ids)."""
    schools = list(schools)
    conditions = programme_conditions(programme.pk)
    if not conditions:
        return {school.pk: PrerequisiteCheck(met=True) for school in schools}
    history: dict[int, list[HistoryYear]] = {school.pk: [] for school in schools}
    if history_rows is None:
        rows = SchoolProgrammeYear.objects.filter(school__in=schools).values_list(
            "school_id", "programme_id", "academic_year", "status"
        )
    else:
        rows = history_rows()
    for school_id, programme_id, year, status in rows:
        if school_id in history:
            history[school_id].append(HistoryYear(programme_id, year, status))
    return {
        school.pk: prerequisites_check(
            programme_name=programme.short_name or programme.name,
            conditions=conditions,
            history=tuple(history[school.pk]),
            junior=school.is_junior,
            for_year=academic_year,
        )
        for school in schools
    }


def schools_on_pp50_list(urns) -> set[int]:
    """Which of these URNs are on the current PP50 schools list (the disadvantage priority)."""
    return pp50_urns(pp50_entries({str(urn) for urn in urns}))


def pp50_entries(identifiers):
    """The identifiers on the current PP50 schools list among `identifiers`: URNs as texts, in
    a collection or a subquery of one column."""
    return EligibilityListEntry.objects.filter(
        eligibility_list__kind=EligibilityList.Kind.PP50_SCHOOLS,
        eligibility_list__is_current=True,
        identifier__in=identifiers,
    ).values_list("identifier", flat=True)


def pp50_urns(identifiers) -> set[int]:
    """The URNs among identifiers read from the PP50 list."""
    return {
        number
        for number in (whole_number(identifier) for identifier in identifiers)
        if number is not None
    }
