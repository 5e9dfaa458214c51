"""The milestone rules (reports/milestones.py), pure: no database."""

import datetime

import pytest

from reports.milestones import (
    COMPLETED,
    DUE,
    LATER,
    MISSED,
    RETAINED_1,
    RETAINED_2,
    STARTED,
    STOPPED,
    SUPPORTED,
    Milestone,
    MilestoneFacts,
    MilestoneRules,
    MilestoneRulesError,
    has_retained_2,
    milestone_schedule,
    milestone_status,
    months_between,
)

d = datetime.date
RULES = MilestoneRules.from_setting(None)  # retained-1 at 30%, retained-2 at 60%
FOUR = (
    Milestone(STARTED, d(2027, 12, 15)),
    Milestone(RETAINED_1, d(2028, 3, 15)),
    Milestone(RETAINED_2, d(2028, 7, 15)),
    Milestone(COMPLETED, d(2029, 7, 31)),
)
THREE = (
    Milestone(STARTED, d(2027, 12, 15)),
    Milestone(RETAINED_1, d(2028, 3, 15)),
    Milestone(COMPLETED, d(2028, 11, 30)),
)
# Ten sessions and phases in the programme: retained-1 needs 3 done, retained-2 needs 6.
OCT, NOV, JAN, FEB, APR, MAY = (
    d(2027, 10, 20),
    d(2027, 11, 25),
    d(2028, 1, 20),
    d(2028, 2, 1),
    d(2028, 4, 1),
    d(2028, 5, 1),
)


# One place a row: its status, when it stopped, the days of its evidence, when a pass was
# released, today and its schedule; then each declaration's state, what is claimable now,
# what is due by the next milestone, and the next milestone date.
# fmt: off
@pytest.mark.parametrize(
    "status, stopped_on, evidence, passed_on, today, schedule, states, claimable, due, next_on",
    [
        pytest.param(
            "active", None, (), None, d(2027, 11, 1), FOUR,
            (DUE, LATER, LATER, LATER), (), (STARTED,), d(2027, 12, 15),
            id="nothing-yet-started-is-due",
        ),
        pytest.param(
            "active", None, (OCT,), None, d(2027, 11, 1), FOUR,
            (SUPPORTED, LATER, LATER, LATER), (STARTED,), (), d(2027, 12, 15),
            id="one-session-supports-started",
        ),
        pytest.param(
            "active", None, (OCT, NOV, JAN), None, d(2028, 2, 10), FOUR,
            (SUPPORTED, SUPPORTED, LATER, LATER), (RETAINED_1,), (), d(2028, 3, 15),
            id="three-of-ten-supports-retained-1-started-milestone-passed",
        ),
        pytest.param(
            "active", None, (OCT, NOV), None, d(2028, 2, 10), FOUR,
            (SUPPORTED, DUE, LATER, LATER), (), (RETAINED_1,), d(2028, 3, 15),
            id="two-of-ten-retained-1-due",
        ),
        pytest.param(
            "active", None, (OCT, NOV), None, d(2028, 4, 1), FOUR,
            (SUPPORTED, MISSED, DUE, LATER), (), (RETAINED_2,), d(2028, 7, 15),
            id="retained-1-missed-retained-2-due",
        ),
        pytest.param(
            "active", None, (OCT, NOV, APR), None, d(2028, 5, 1), FOUR,
            (SUPPORTED, SUPPORTED, DUE, LATER), (), (RETAINED_2,), d(2028, 7, 15),
            id="retained-1-supported-late-is-not-claimable",
        ),
        pytest.param(
            "active", None, (MAY, APR, FEB, JAN, NOV, OCT), None, d(2028, 5, 2), FOUR,
            (SUPPORTED, SUPPORTED, SUPPORTED, LATER), (RETAINED_2,), (), d(2028, 7, 15),
            id="six-of-ten-in-any-order-supports-retained-2",
        ),
        pytest.param(
            "withdrawn", d(2027, 11, 20), (OCT, NOV, JAN), None, d(2027, 12, 1), FOUR,
            (SUPPORTED, STOPPED, STOPPED, STOPPED), (STARTED,), (), None,
            id="withdrawn-keeps-what-came-before-and-nothing-is-due",
        ),
        pytest.param(
            "withdrawn", d(2027, 10, 10), (OCT,), None, d(2027, 11, 1), FOUR,
            (STOPPED, STOPPED, STOPPED, STOPPED), (), (), None,
            id="withdrawn-evidence-after-withdrawal-supports-nothing",
        ),
        pytest.param(
            "deferred", d(2027, 11, 20), (OCT, NOV, JAN), None, d(2028, 2, 10), FOUR,
            (SUPPORTED, STOPPED, STOPPED, STOPPED), (), (), None,
            id="deferred-is-paused",
        ),
        pytest.param(
            "completed", None, (OCT, NOV, JAN, FEB, APR, MAY), d(2029, 6, 1), d(2029, 6, 10),
            FOUR, (SUPPORTED, SUPPORTED, SUPPORTED, SUPPORTED), (COMPLETED,), (), d(2029, 7, 31),
            id="passed-supports-completed",
        ),
        pytest.param(
            "completed", None, (), d(2029, 6, 1), d(2029, 6, 10), FOUR,
            (MISSED, MISSED, MISSED, DUE), (), (COMPLETED,), d(2029, 7, 31),
            id="a-pass-without-a-start-does-not-support-completed",
        ),
        pytest.param(
            "withdrawn", d(2029, 5, 1), (OCT, NOV, JAN, FEB, APR, MAY), d(2029, 6, 1),
            d(2029, 6, 10), FOUR, (SUPPORTED, SUPPORTED, SUPPORTED, STOPPED), (), (), None,
            id="a-pass-released-after-withdrawal-does-not-count",
        ),
        pytest.param(
            "active", None, (), None, d(2029, 8, 15), FOUR,
            (MISSED, MISSED, MISSED, MISSED), (), (), None,
            id="every-milestone-passed-unsupported",
        ),
        pytest.param(
            "active", None, (OCT, NOV, JAN), None, d(2028, 2, 10), THREE,
            (SUPPORTED, SUPPORTED, LATER), (RETAINED_1,), (), d(2028, 3, 15),
            id="three-declarations-have-no-retained-2",
        ),
    ],
)
# fmt: on
def test_what_the_evidence_supports(
    status, stopped_on, evidence, passed_on, today, schedule, states, claimable, due, next_on
):
    facts = MilestoneFacts(
        status=status,
        stopped_on=stopped_on,
        evidence_on=evidence,
        evidence_total=10,
        passed_on=passed_on,
    )

    result = milestone_status(facts=facts, schedule=schedule, rules=RULES, today=today)

    assert tuple(state.state for state in result.declarations) == states
    assert tuple(state.declaration for state in result.claimable) == claimable
    assert tuple(state.declaration for state in result.due) == due
    assert result.next_milestone_on == next_on


def test_each_declaration_is_dated_by_the_evidence_that_completed_it():
    facts = MilestoneFacts("active", None, (JAN, OCT, NOV, FEB, APR, MAY), 10, None)

    result = milestone_status(facts=facts, schedule=FOUR, rules=RULES, today=d(2028, 6, 1))

    started, retained_1, retained_2, _ = result.declarations
    assert (started.evidenced_on, retained_1.evidenced_on, retained_2.evidenced_on) == (
        OCT,
        JAN,
        MAY,
    )
    assert not retained_1.late  # 20 January, before the 15 March milestone


@pytest.mark.parametrize(
    "total, done, supported",
    [(10, 2, False), (10, 3, True), (7, 2, False), (7, 3, True), (1, 1, True), (0, 0, False)],
    ids=["2-of-10", "3-of-10", "2-of-7-is-28pc", "3-of-7", "1-of-1", "empty-programme"],
)
def test_retained_1_needs_thirty_percent_of_the_whole_programme(total, done, supported):
    facts = MilestoneFacts("active", None, (OCT,) * done, total, None)

    result = milestone_status(facts=facts, schedule=FOUR, rules=RULES, today=d(2027, 11, 1))

    assert (result.declarations[1].state == SUPPORTED) is supported


@pytest.mark.parametrize(
    "length_months, starts_on, ends_on, four",
    [
        (18, d(2027, 10, 1), d(2029, 3, 31), True),  # leadership NPQs, NPQSENCO
        (12, d(2027, 10, 1), d(2028, 9, 30), False),  # specialist NPQs, EHCO
        (13, d(2027, 10, 1), d(2028, 7, 14), True),  # the programme's length decides
        (None, d(2027, 10, 1), d(2029, 3, 31), True),  # no length: the cohort's 17 months
        (None, d(2027, 10, 1), d(2028, 7, 14), False),  # no length: the cohort's 9 months
    ],
)
def test_programmes_longer_than_a_year_have_a_retained_2(length_months, starts_on, ends_on, four):
    assert (
        has_retained_2(
            length_months=length_months, starts_on=starts_on, ends_on=ends_on, rules=RULES
        )
        is four
    )


@pytest.mark.parametrize(
    "starts_on, ends_on, months",
    [
        (d(2027, 10, 1), d(2028, 7, 14), 9),
        (d(2027, 10, 1), d(2029, 3, 31), 17),
        (d(2027, 10, 1), d(2029, 4, 1), 18),
        (d(2027, 10, 15), d(2028, 10, 14), 11),
    ],
)
def test_months_between(starts_on, ends_on, months):
    assert months_between(starts_on, ends_on) == months


def test_milestone_dates_fall_part_of_the_way_through_the_cohort():
    # 1 October 2027 to 31 March 2029 is 547 days (2028 is a leap year).
    four = milestone_schedule(
        starts_on=d(2027, 10, 1), ends_on=d(2029, 3, 31), length_months=18, rules=RULES
    )
    # 1 October 2027 to 30 September 2028 is 365 days.
    three = milestone_schedule(
        starts_on=d(2027, 10, 1), ends_on=d(2028, 9, 30), length_months=12, rules=RULES
    )

    assert [(m.declaration, m.due_on) for m in four] == [
        (STARTED, d(2027, 12, 22)),  # 15%: day 82
        (RETAINED_1, d(2028, 5, 6)),  # 40%: day 218
        (RETAINED_2, d(2028, 10, 17)),  # 70%: day 382
        (COMPLETED, d(2029, 7, 29)),  # 120 days after the end
    ]
    assert [(m.declaration, m.due_on) for m in three] == [
        (STARTED, d(2027, 12, 13)),  # 20%: day 73
        (RETAINED_1, d(2028, 4, 18)),  # 55%: day 200
        (COMPLETED, d(2029, 1, 28)),
    ]


def test_the_setting_can_change_thresholds_and_dates():
    rules = MilestoneRules.from_setting({"retained_1_percent": 50, "completed_days_after_end": 0})
    facts = MilestoneFacts("active", None, (OCT, NOV, JAN), 10, None)

    result = milestone_status(facts=facts, schedule=FOUR, rules=rules, today=d(2028, 2, 10))
    schedule = milestone_schedule(
        starts_on=d(2027, 10, 1), ends_on=d(2028, 9, 30), length_months=12, rules=rules
    )

    assert result.declarations[1].state == DUE  # 3 of 10 is below 50%
    assert schedule[-1].due_on == d(2028, 9, 30)


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"retained_1_percent": 70}, "retained_1_percent <= retained_2_percent"),
        ({"retained_2_percent": 0}, "0 < retained_1_percent"),
        ({"dates_without_retained_2": {"started": 60, "retained-1": 30}}, "declaration order"),
        ({"dates_with_retained_2": {"started": 10}}, "needs started, retained-1, retained-2"),
        ({"retained_3_percent": 90}, "unknown keys: retained_3_percent"),
    ],
)
def test_a_setting_the_rules_cannot_use_is_refused(setting, message):
    with pytest.raises(MilestoneRulesError, match=message):
        MilestoneRules.from_setting(setting)
