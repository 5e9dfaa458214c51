"""The cohort grid's figures kept (participants/selectors.py `cohort_progress_grid_kept`): the
page drawn from them is the page worked out afresh, and every change to what they are worked
out from, a day passing, a session starting and a new threshold are seen on the next visit."""

import datetime
import re

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from cohorts.models import Session
from cohorts.tests.factories import CohortFactory, ModuleWindowFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.signals import rows_written
from npq_portal.tests.factories import StaffUserFactory, sign_in
from participants.models import Attendance, Enrolment, KeptCohortGrid, ModulePhaseDone
from participants.selectors import cohort_progress_grid, work_group_grid
from participants.services import register_take

from .factories import EnrolmentFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
# A Tuesday: the first session was yesterday, the second is this evening.
NOW = datetime.datetime(2027, 11, 2, 12, tzinfo=UTC)
TABLE = re.compile(
    r'<table class="table table-sm table-bordered align-middle progress-grid".*?</table>', re.S
)


@pytest.fixture
def cohort():
    """Four places; yesterday's register taken (two present, one late, one absent), this
    evening's session to come, a session last week whose register nobody took, and two
    module windows, the first due, with one study phase finished."""
    cohort = CohortFactory()
    with time_machine.travel(datetime.datetime(2027, 9, 1, tzinfo=UTC)):
        places = [EnrolmentFactory(cohort=cohort) for _ in range(4)]
    SessionFactory(
        cohort=cohort,
        title="Not registered",
        starts_at=datetime.datetime(2027, 10, 26, 16, tzinfo=UTC),
        ends_at=datetime.datetime(2027, 10, 26, 17, tzinfo=UTC),
    )
    yesterday = SessionFactory(
        cohort=cohort,
        title="Culture clinic",
        starts_at=datetime.datetime(2027, 11, 1, 16, tzinfo=UTC),
        ends_at=datetime.datetime(2027, 11, 1, 17, tzinfo=UTC),
    )
    SessionFactory(
        cohort=cohort,
        title="Evening seminar",
        starts_at=datetime.datetime(2027, 11, 2, 18, tzinfo=UTC),
        ends_at=datetime.datetime(2027, 11, 2, 19, tzinfo=UTC),
    )
    first = ModuleWindowFactory(
        cohort=cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 15),
        application_due_on=datetime.date(2027, 10, 25),
        module__title="Curriculum",
    )
    ModuleWindowFactory(
        cohort=cohort,
        opens_on=datetime.date(2027, 12, 1),
        study_due_on=datetime.date(2027, 12, 15),
        application_due_on=datetime.date(2027, 12, 25),
        module__title="Assessment",
    )
    with time_machine.travel(datetime.datetime(2027, 11, 1, 18, tzinfo=UTC)):
        register_take(
            session=yesterday,
            marks=dict(
                zip([p.pk for p in places], ["present", "late", "absent", "present"], strict=True)
            ),
            by=None,
        )
    ModulePhaseDone.objects.create(enrolment=places[0], module=first.module, phase="study")
    return cohort


def _visit(client, cohort, **query):
    page = client.get(reverse("participants:cohort-progress", args=[cohort.pk]), query)
    assert page.status_code == 200
    return page


def _shown(grid) -> tuple:
    """All a grid shows, as plain values."""
    return (
        [(s.pk, s.title, s.starts_at) for s in grid.sessions],
        [window.module.title for window in grid.windows],
        [
            (r.enrolment.pk, r.participation, r.at_risk, list(r.marks), list(map(tuple, r.phases)))
            for r in grid.rows
        ],
        grid.threshold,
        [s.pk for s in grid.registers_missing],
    )


def _signed_in(client, cohort):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(facilitator)
    sign_in(client, facilitator)


@time_machine.travel(NOW, tick=False)
def test_a_grid_drawn_from_kept_figures_is_the_grid_worked_out_afresh(
    client, cohort, monkeypatch, django_assert_max_num_queries
):
    _signed_in(client, cohort)
    afresh = _visit(client, cohort)

    def worked_out(**kwargs):
        raise AssertionError("the kept figures were worked out again")

    monkeypatch.setattr("participants.selectors.cohort_progress_grid", worked_out)
    with django_assert_max_num_queries(8):  # the version with the figures kept, the places
        kept = _visit(client, cohort)

    assert _shown(kept.context["grid"]) == _shown(afresh.context["grid"])
    assert (
        TABLE.search(kept.content.decode()).group() == TABLE.search(afresh.content.decode()).group()
    )
    missing = kept.context["grid"].registers_missing
    assert [session.title for session in missing] == ["Not registered"]
    assert "1 register not taken" in kept.content.decode()
    assert [row.at_risk for row in kept.context["grid"].rows].count(True) == 4
    # At risk only, from the same figures.
    assert len(_visit(client, cohort, show="at-risk").context["page_obj"].object_list) == 4


def _mark_corrected(cohort):
    session = Session.objects.get(title="Culture clinic")
    place = Attendance.objects.filter(session=session, mark="absent").get().enrolment
    register_take(session=session, marks={place.pk: "present"}, by=None, reason="Was there")


def _marks_written_in_bulk(cohort):
    Attendance.objects.filter(mark="absent").update(mark="excused")
    rows_written.send(sender=Attendance, cohort_ids={cohort.pk})


def _session_moved(cohort):
    session = Session.objects.get(title="Evening seminar")
    session.starts_at = datetime.datetime(2027, 11, 2, 10, tzinfo=UTC)  # this morning
    session.save()


def _session_cancelled(cohort):
    session = Session.objects.get(title="Not registered")
    session.status = Session.Status.CANCELLED
    session.save()


def _module_renamed(cohort):
    window = cohort.module_windows.get(module__title="Curriculum")
    window.module.title = "Curriculum design"
    window.module.save()


def _place_withdrawn(cohort):
    place = Enrolment.objects.filter(cohort=cohort).order_by("pk").last()
    place.status = Enrolment.Status.WITHDRAWN
    place.save()


def _place_added(cohort):
    with time_machine.travel(datetime.datetime(2027, 9, 1, tzinfo=UTC)):
        EnrolmentFactory(cohort=cohort)


def _phase_ticked(cohort):
    place = Enrolment.objects.filter(cohort=cohort).order_by("pk").last()
    window = cohort.module_windows.get(module__title="Curriculum")
    ModulePhaseDone.objects.create(enrolment=place, module=window.module, phase="application")


def _window_added(cohort):
    ModuleWindowFactory(
        cohort=cohort,
        opens_on=datetime.date(2027, 10, 1),
        study_due_on=datetime.date(2027, 10, 20),
        application_due_on=datetime.date(2027, 10, 30),
        module__title="Leading",
    )


@pytest.mark.parametrize(
    "change",
    [
        _mark_corrected,
        _marks_written_in_bulk,
        _session_moved,
        _session_cancelled,
        _module_renamed,
        _place_withdrawn,
        _place_added,
        _phase_ticked,
        _window_added,
    ],
    ids=lambda change: change.__name__.strip("_"),
)
@time_machine.travel(NOW, tick=False)
def test_a_change_to_what_the_grid_is_worked_out_from_is_seen_on_the_next_visit(
    client, cohort, change
):
    _signed_in(client, cohort)
    before = _shown(_visit(client, cohort).context["grid"])

    change(cohort)
    after = _shown(_visit(client, cohort).context["grid"])

    assert after == _shown(cohort_progress_grid(cohort=cohort))
    assert after != before


def test_a_session_starting_has_the_grid_worked_out_again(client, cohort):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, cohort)
        before = _visit(client, cohort).context["grid"]
    # This evening's session has started, and nobody has taken its register: nothing was
    # written, yet it is now a register not taken.
    with time_machine.travel(datetime.datetime(2027, 11, 2, 18, 30, tzinfo=UTC), tick=False):
        after = _visit(client, cohort).context["grid"]

    assert [s.title for s in before.registers_missing] == ["Not registered"]
    assert [s.title for s in after.registers_missing] == ["Not registered", "Evening seminar"]


def test_a_grid_kept_yesterday_is_worked_out_again_today(client, cohort):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, cohort)
        _visit(client, cohort)
    # Written as nothing that says so would write it: only the day bounds how long it shows.
    Attendance.objects.filter(mark="absent").update(mark="present")

    with time_machine.travel(NOW, tick=False):
        yesterday = _visit(client, cohort).context["grid"]
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        sign_in(client, cohort.facilitators.get())  # a staff session lasts a working day
        today = _visit(client, cohort).context["grid"]

    assert ["absent" in row.marks for row in yesterday.rows].count(True) == 1
    assert ["absent" in row.marks for row in today.rows].count(True) == 0
    assert list(KeptCohortGrid.objects.values_list("day", flat=True)) == [
        datetime.date(2027, 11, 3)
    ]


@time_machine.travel(NOW, tick=False)
def test_another_threshold_has_the_grid_worked_out_again(client, cohort, settings):
    _signed_in(client, cohort)
    _visit(client, cohort)

    with override_settings(ASSESSMENT={**settings.ASSESSMENT, "participation_threshold": 30}):
        grid = _visit(client, cohort).context["grid"]

    assert grid.threshold == 30
    assert [row.at_risk for row in grid.rows].count(True) == 1  # absent yesterday: 0 of 2


# ---- A Work Group's attendance, kept alike (participants/selectors.py `work_group_grid`) ----


@pytest.fixture
def work_group():
    from .test_work_groups import _held, _mark, _school_place, _work_group

    cohort = _work_group(capacity=10)
    places = [_school_place(cohort) for _ in range(2)]
    sessions = _held(cohort, 2)
    _mark(sessions[0], {m: "present" for m in places[0].members.all()})
    _mark(sessions[0], {m: "absent" for m in places[1].members.all()})
    return cohort


def _work_group_page(client, cohort):
    page = client.get(reverse("participants:work-group", args=[cohort.pk]))
    assert page.status_code == 200
    return page


def _absent_marked_present(cohort):
    session = Session.objects.get(cohort=cohort, title="Workshop 1")
    marks = {a.enrolment_id: "present" for a in Attendance.objects.filter(session=session)}
    register_take(session=session, marks=marks, by=None, reason="Signed in late")


def _second_register_taken(cohort):
    session = Session.objects.get(cohort=cohort, title="Workshop 2")
    people = Enrolment.objects.filter(school_place__cohort=cohort)
    register_take(session=session, marks={p.pk: "late" for p in people}, by=None)


def _session_moved_a_week(cohort):
    session = Session.objects.get(cohort=cohort, title="Workshop 2")
    session.starts_at += datetime.timedelta(days=7)
    session.ends_at += datetime.timedelta(days=7)
    session.save()


def _fresh(cohort):
    return type(cohort).objects.select_related("programme").get(pk=cohort.pk)


def _school_added(cohort):
    from .test_work_groups import _school_place

    _school_place(cohort)


@pytest.mark.parametrize(
    "change",
    [_absent_marked_present, _second_register_taken, _session_moved_a_week, _school_added],
    ids=lambda change: change.__name__.strip("_"),
)
def test_a_change_to_a_work_groups_marks_is_seen_on_the_next_visit(client, work_group, change):
    from .test_work_groups import _lead_of, _work_group_shown

    sign_in(client, _lead_of(work_group))
    before = _work_group_shown(_work_group_page(client, work_group).context["grid"])

    change(work_group)
    after = _work_group_shown(_work_group_page(client, work_group).context["grid"])

    assert after == _work_group_shown(work_group_grid(cohort=_fresh(work_group)))
    assert after != before
