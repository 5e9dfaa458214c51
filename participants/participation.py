"""Participation: the one definition, used by every page, the assessment gate and the exports.

Pure: no Django. The selectors gather the facts (participants/selectors.py,
`enrolments_participation`) and this module does the counting.

- A session counts once it has started and its register has been taken. Present and late
  count as attended; absent, or no mark on a register that was taken, as missed; an excused
  absence counts neither way (it leaves what is due).
- A module phase (study, application) counts once its due date has passed; done is done
  whenever it was ticked.
- "So far" is attended sessions plus finished phases over those due so far; "whole programme"
  is the same over every session and phase the cohort has, so it grows towards 100% as the
  programme goes on.
- A participant is at risk when they are below the threshold so far, or missed two sessions in
  a row (two consecutive registers marked absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

ATTENDED = frozenset({"present", "late"})
EXCUSED = "excused"


@dataclass(frozen=True)
class Participation:
    """One participant's participation, so far and over the whole programme."""

    sessions_attended: int
    sessions_due: int
    sessions_total: int
    phases_done_due: int
    phases_due: int
    phases_done_total: int
    phases_total: int
    missed_two_in_a_row: bool

    @property
    def so_far(self) -> Fraction | None:
        """Done over due so far; None while nothing is due yet."""
        due = self.sessions_due + self.phases_due
        if due == 0:
            return None
        return Fraction(self.sessions_attended + self.phases_done_due, due)

    @property
    def overall(self) -> Fraction | None:
        """Done over everything in the programme; None for a programme with nothing in it."""
        total = self.sessions_total + self.phases_total
        if total == 0:
            return None
        return Fraction(self.sessions_attended + self.phases_done_total, total)

    # The percentages and the threshold are worked out in whole numbers: the same figures as
    # the fractions give (floor(done / due × 100) is done × 100 // due), without making them
    # (a grid works out dozens of places, each several times).

    @property
    def so_far_percent(self) -> int | None:
        """Rounded down, so a figure shown as 90% never fails a 90% threshold."""
        due = self.sessions_due + self.phases_due
        return None if due == 0 else (self.sessions_attended + self.phases_done_due) * 100 // due

    @property
    def overall_percent(self) -> int | None:
        total = self.sessions_total + self.phases_total
        if total == 0:
            return None
        return (self.sessions_attended + self.phases_done_total) * 100 // total

    def meets(self, threshold_percent: int) -> bool:
        """At or above the threshold so far (nothing due yet counts as meeting it)."""
        due = self.sessions_due + self.phases_due
        done = self.sessions_attended + self.phases_done_due
        return due == 0 or done * 100 >= threshold_percent * due

    def at_risk(self, threshold_percent: int) -> bool:
        return not self.meets(threshold_percent) or self.missed_two_in_a_row


def participation_count(
    *,
    registers_taken: list[int],
    sessions_total: int,
    marks: dict[int, str],
    phases_due: set[tuple[int, str]],
    phases_total: set[tuple[int, str]],
    phases_done: set[tuple[int, str]],
) -> Participation:
    """Count one participant's participation.

    `registers_taken` are the ids of the sessions due for them (started, register taken), in
    the order they happened; `marks` their mark on each, by session id (a missing mark on a
    taken register is a miss); `sessions_total` every session of the cohort not cancelled;
    phases are (module id, "study" or "application").
    """
    attended = missed_in_a_row = excused_due = 0
    missed_two = False
    for session_id in registers_taken:
        mark = marks.get(session_id, "absent")
        if mark in ATTENDED:
            attended += 1
            missed_in_a_row = 0
        elif mark == EXCUSED:
            excused_due += 1  # neither a miss nor an attendance: the run of misses goes on
        else:
            missed_in_a_row += 1
            missed_two = missed_two or missed_in_a_row >= 2
    excused_total = sum(1 for mark in marks.values() if mark == EXCUSED)
    return Participation(
        sessions_attended=attended,
        sessions_due=len(registers_taken) - excused_due,
        sessions_total=max(sessions_total - excused_total, 0),
        phases_done_due=len(phases_done & phases_due),
        phases_due=len(phases_due),
        phases_done_total=len(phases_done & phases_total),
        phases_total=len(phases_total),
        missed_two_in_a_row=missed_two,
    )
