"""DfE milestones: which declaration each place's evidence supports, and what is due when.

Pure: no Django. `reports/selectors.py` (`enrolments_milestones`) gathers the facts and the
settings (`MILESTONES` in npq_portal/settings.py); this module decides. The rules:

Declarations. A DfE-funded NPQ (a programme with a DfE course identifier) is claimed in up to
four declarations, in this order: started, retained-1, retained-2, completed.
- Programmes longer than `MILESTONES["retained_2_longer_than_months"]` (12) have all four: the
  18-month leadership NPQs and the NPQ for SENCOs. Shorter ones (the 12-month specialist NPQs,
  EHCO) have no retained-2: started, retained-1, completed. The length is the programme's
  `length_months`, or the cohort's own span in whole months where the programme has none.
- Maths Hub programmes (no DfE course identifier) have no declarations and are not listed.

Evidence. Each declaration is supported from the day its evidence was first complete, and that
day is the declaration date to give DfE:
- started: the first attended session (present or late, on a register that was taken) or
  finished module phase (study or application), whichever came first;
- retained-1 and retained-2: participation over the whole programme (the same count as
  participants/participation.py: sessions attended and module phases finished, over every
  session and phase the place has) reaching `retained_1_percent` (30%) and
  `retained_2_percent` (60%): the day of the piece of evidence that took it there;
- completed: a passed assessment outcome, from the day it was released (and never before the
  place had started).

Places that stopped. Evidence dated after a withdrawn place's withdrawal, or after a deferred
place's deferral, never supports a declaration; what was supported before still is (dated
before it). Nothing is due for a withdrawn or deferred place: deferred places are shown as
deferred, and become due again when resumed.

Milestone dates come from the cohort's start and end dates: each declaration's milestone falls
a set percentage of the way from start to end (`dates_with_retained_2`: started 15%,
retained-1 40%, retained-2 70%; `dates_without_retained_2`: started 20%, retained-1 55%), and
completed `completed_days_after_end` (120) days after the end, leaving time for the last
assessment window's results. A declaration is due by its milestone date.

States, for each declaration of a place:
- supported: its evidence is complete (late when that came after the milestone date);
- due: not supported, and its milestone is the place's next milestone date;
- missed: not supported, and its milestone date has passed;
- later: not supported, its milestone after the next one;
- stopped: not supported, and the place is withdrawn or deferred.
"Claimable now" is a supported declaration whose milestone date has not passed.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from fractions import Fraction

STARTED = "started"
RETAINED_1 = "retained-1"
RETAINED_2 = "retained-2"
COMPLETED = "completed"
DECLARATIONS = (STARTED, RETAINED_1, RETAINED_2, COMPLETED)
LABELS = {
    STARTED: "Started",
    RETAINED_1: "Retained 1",
    RETAINED_2: "Retained 2",
    COMPLETED: "Completed",
}

SUPPORTED = "supported"
DUE = "due"
MISSED = "missed"
LATER = "later"
STOPPED = "stopped"

# Place statuses, as participants.models.Enrolment.Status names them.
WITHDRAWN = "withdrawn"
DEFERRED = "deferred"

DEFAULT_RULES = {
    "retained_1_percent": 30,
    "retained_2_percent": 60,
    "retained_2_longer_than_months": 12,
    "dates_with_retained_2": {STARTED: 15, RETAINED_1: 40, RETAINED_2: 70},
    "dates_without_retained_2": {STARTED: 20, RETAINED_1: 55},
    "completed_days_after_end": 120,
}


class MilestoneRulesError(ValueError):
    """The MILESTONES setting is not one the rules can use; the message says why."""


@dataclass(frozen=True)
class MilestoneRules:
    """The thresholds and dates of the rules above, checked once."""

    retained_1_percent: int
    retained_2_percent: int
    retained_2_longer_than_months: int
    dates_with_retained_2: dict[str, int]
    dates_without_retained_2: dict[str, int]
    completed_days_after_end: int

    @classmethod
    def from_setting(cls, setting: dict | None = None) -> MilestoneRules:
        """The rules from the MILESTONES setting, defaults filling what it leaves out.

        Raises MilestoneRulesError for thresholds out of order or dates out of order.
        """
        values = {**DEFAULT_RULES, **(setting or {})}
        unknown = set(values) - set(DEFAULT_RULES)
        if unknown:
            raise MilestoneRulesError(f"MILESTONES has unknown keys: {', '.join(sorted(unknown))}.")
        rules = cls(**values)
        if not 0 < rules.retained_1_percent <= rules.retained_2_percent <= 100:
            raise MilestoneRulesError(
                "MILESTONES needs 0 < retained_1_percent <= retained_2_percent <= 100."
            )
        for key, declarations in (
            ("dates_with_retained_2", (STARTED, RETAINED_1, RETAINED_2)),
            ("dates_without_retained_2", (STARTED, RETAINED_1)),
        ):
            dates = getattr(rules, key)
            if set(dates) != set(declarations):
                raise MilestoneRulesError(f"MILESTONES[{key!r}] needs {', '.join(declarations)}.")
            percents = [dates[d] for d in declarations]
            if percents != sorted(percents) or not 0 <= percents[0] <= percents[-1] <= 100:
                raise MilestoneRulesError(
                    f"MILESTONES[{key!r}] needs percentages from 0 to 100 in declaration order."
                )
        return rules


@dataclass(frozen=True)
class Milestone:
    declaration: str
    due_on: datetime.date


def months_between(starts_on: datetime.date, ends_on: datetime.date) -> int:
    """Whole months from one date to another (1 October to 14 July is 9)."""
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    return months if ends_on.day >= starts_on.day else months - 1


def has_retained_2(
    *,
    length_months: int | None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    rules: MilestoneRules,
) -> bool:
    """True for programmes longer than the setting's months (the programme's length, or the
    cohort's span where the programme gives none)."""
    months = length_months if length_months else months_between(starts_on, ends_on)
    return months > rules.retained_2_longer_than_months


def milestone_schedule(
    *,
    starts_on: datetime.date,
    ends_on: datetime.date,
    length_months: int | None,
    rules: MilestoneRules,
) -> tuple[Milestone, ...]:
    """A cohort's milestones: each declaration it has, with the date it is due by."""
    four = has_retained_2(
        length_months=length_months, starts_on=starts_on, ends_on=ends_on, rules=rules
    )
    percents = rules.dates_with_retained_2 if four else rules.dates_without_retained_2
    span = (ends_on - starts_on).days
    milestones = [
        Milestone(
            declaration, starts_on + datetime.timedelta(days=span * percents[declaration] // 100)
        )
        for declaration in DECLARATIONS
        if declaration in percents
    ]
    completed_on = ends_on + datetime.timedelta(days=rules.completed_days_after_end)
    return (*milestones, Milestone(COMPLETED, completed_on))


@dataclass(frozen=True)
class MilestoneFacts:
    """What one place's declarations are decided from."""

    status: str  # the place's status: active, deferred, withdrawn or completed
    stopped_on: datetime.date | None  # the day a withdrawn or deferred place stopped
    evidence_on: tuple[datetime.date, ...]  # the day of each attended session, finished phase
    evidence_total: int  # every session and phase the place has (participation's "overall")
    passed_on: datetime.date | None  # the day a passed outcome was released


@dataclass(frozen=True)
class DeclarationState:
    declaration: str
    due_on: datetime.date
    state: str  # supported, due, missed, later or stopped
    evidenced_on: datetime.date | None = None  # the declaration date, when supported

    @property
    def label(self) -> str:
        return LABELS[self.declaration]

    @property
    def late(self) -> bool:
        """Supported, but only after its milestone date had passed."""
        return self.evidenced_on is not None and self.evidenced_on > self.due_on


@dataclass(frozen=True)
class MilestoneStatus:
    """One place's declarations, what it can claim now and what is due by its next milestone."""

    declarations: tuple[DeclarationState, ...]
    next_milestone_on: datetime.date | None
    claimable: tuple[DeclarationState, ...]  # supported, milestone date not passed
    due: tuple[DeclarationState, ...]  # due by the next milestone, not yet supported
    stopped: bool  # withdrawn or deferred: nothing is due


def evidence_days(
    *, facts: MilestoneFacts, rules: MilestoneRules, today: datetime.date | None
) -> dict[str, datetime.date | None]:
    """The day each declaration's evidence was first complete, or None while it is not.

    With `today` None, evidence is not cut off by date (only by a stop): the days then hold
    for any later day through `days_as_of`, which is how `reports/milestone_days.py` keeps them.
    """
    cut_off = today
    if facts.status in (WITHDRAWN, DEFERRED) and facts.stopped_on is not None:
        cut_off = facts.stopped_on if cut_off is None else min(cut_off, facts.stopped_on)
    evidence = sorted(day for day in facts.evidence_on if cut_off is None or day <= cut_off)
    started_on = evidence[0] if evidence else None

    def reached(percent: int) -> datetime.date | None:
        if facts.evidence_total <= 0:
            return None
        needed = max(1, math.ceil(Fraction(percent, 100) * facts.evidence_total))
        return evidence[needed - 1] if len(evidence) >= needed else None

    passed_on = facts.passed_on
    if passed_on is not None and cut_off is not None and passed_on > cut_off:
        passed_on = None
    return {
        STARTED: started_on,
        RETAINED_1: reached(rules.retained_1_percent),
        RETAINED_2: reached(rules.retained_2_percent),
        COMPLETED: max(passed_on, started_on) if passed_on and started_on else None,
    }


def days_as_of(
    days: dict[str, datetime.date | None], today: datetime.date
) -> dict[str, datetime.date | None]:
    """Evidence days worked out with no cut-off by date (`evidence_days(today=None)`), as they
    stood at the end of `today`: the same as `evidence_days(today=today)`.

    Evidence is sorted, so the n-th piece overall falls on or before today exactly when n
    pieces do; the first piece likewise; and completed is the later of the pass and the first
    piece, so it has come when both have.
    """
    return {key: day if day is not None and day <= today else None for key, day in days.items()}


def milestone_status(
    *,
    facts: MilestoneFacts,
    schedule: tuple[Milestone, ...],
    rules: MilestoneRules,
    today: datetime.date,
) -> MilestoneStatus:
    """Decide each declaration of the schedule for one place (the rules are at the top)."""
    return status_from_days(
        days=evidence_days(facts=facts, rules=rules, today=today),
        schedule=schedule,
        stopped=facts.status in (WITHDRAWN, DEFERRED),
        today=today,
    )


def status_from_days(
    *,
    days: dict[str, datetime.date | None],
    schedule: tuple[Milestone, ...],
    stopped: bool,
    today: datetime.date,
) -> MilestoneStatus:
    """Decide each declaration of the schedule from the day its evidence was complete (as it
    stood today: `days_as_of`) and whether the place is withdrawn or deferred."""
    upcoming = [m.due_on for m in schedule if m.due_on >= today]
    next_on = None if stopped or not upcoming else min(upcoming)
    states = []
    for milestone in schedule:
        evidenced_on = days[milestone.declaration]
        if evidenced_on is not None:
            state = SUPPORTED
        elif stopped:
            state = STOPPED
        elif milestone.due_on < today:
            state = MISSED
        elif milestone.due_on == next_on:
            state = DUE
        else:
            state = LATER
        states.append(
            DeclarationState(milestone.declaration, milestone.due_on, state, evidenced_on)
        )
    return MilestoneStatus(
        declarations=tuple(states),
        next_milestone_on=next_on,
        claimable=tuple(d for d in states if d.state == SUPPORTED and d.due_on >= today),
        due=tuple(d for d in states if d.state == DUE),
        stopped=stopped,
    )
