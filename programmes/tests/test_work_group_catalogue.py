"""The catalogue's Maths Hub Work Groups get a set-up from MATHS_HUBS.md: from the loader, for
programmes it creates and untouched ones without slots, and from a data migration for
databases loaded before."""

from importlib import import_module

import pytest
from django.apps import apps

from applications.tests.factories import ApplicationFactory, team_sign_up
from cohorts.tests.factories import CohortFactory
from programmes.catalogue import WORK_GROUP_REVIEW_NOTE, WORK_GROUPS
from programmes.catalogue_content import CATALOGUE
from programmes.models import Prerequisite, Programme, ProgrammeGrant, RoleSlot
from programmes.selectors import programme_work_group_words
from programmes.services import catalogue_load, programme_save

pytestmark = pytest.mark.django_db

MASTERING_NUMBER = "maths-hub-mastering-number"
DEVELOPMENT = "maths-hub-primary-development-work-group"
EMBEDDING = "maths-hub-teaching-for-mastery-embedding"
SUSTAINING = "maths-hub-teaching-for-mastery-sustaining"
READINESS = "maths-hub-primary-mastery-readiness"
SPECIALIST = "maths-hub-primary-mastery-specialist"

migration = import_module("programmes.migrations.0009_work_group_defaults")


def _slots(slug: str) -> list[tuple]:
    return list(
        RoleSlot.objects.filter(programme__slug=slug).values_list(
            "label", "kind", "required", "people"
        )
    )


def _conditions(slug: str) -> list[tuple]:
    return [
        (rule.kind, sorted(p.slug for p in rule.programmes.all()), rule.or_previous)
        for rule in Prerequisite.objects.filter(programme__slug=slug)
    ]


def _set_up() -> dict:
    """Everything a Work Group's set-up writes, to compare before and after."""
    return {
        "programmes": list(
            Programme.objects.order_by("slug").values_list(
                "slug",
                "participation",
                "team_leads_min",
                "completion_sessions",
                "completion_needs_action_plan",
                "priority",
                "commitment",
                "review_note",
            )
        ),
        "slots": sorted(
            RoleSlot.objects.values_list(
                "programme__slug", "position", "label", "kind", "required", "people", "hint"
            )
        ),
        "conditions": sorted(
            (slug, *condition)
            for slug in WORK_GROUPS
            for condition in [tuple(map(str, c)) for c in _conditions(slug)]
        ),
        "grants": sorted(
            ProgrammeGrant.objects.values_list("programme__slug", "academic_year", "amount")
        ),
    }


def _as_before_the_set_up():
    """A database loaded before the loader knew Work Groups: no slots, conditions or grants,
    everyone an individual, the seeds' review notes."""
    RoleSlot.objects.all().delete()
    Prerequisite.objects.all().delete()
    ProgrammeGrant.objects.all().delete()
    for seed in CATALOGUE:
        Programme.objects.filter(slug=seed.slug).update(
            participation="individual",
            team_leads_min=1,
            completion_sessions=None,
            completion_needs_action_plan=False,
            priority="arrival",
            commitment="",
            review_note=seed.review_note,
        )


def test_the_loader_makes_mastering_number_a_team_of_three_lead_teachers():
    report = catalogue_load()

    programme = Programme.objects.get(slug=MASTERING_NUMBER)
    assert programme.for_school_teams
    assert programme.team_leads_min == 1
    assert programme.completion_sessions == 4
    assert programme.priority == Programme.Priority.DISADVANTAGE
    assert "daily 10 to 15 minute" in programme.commitment
    assert programme.review_note.endswith(WORK_GROUP_REVIEW_NOTE)
    assert _slots(MASTERING_NUMBER) == [
        ("Reception lead teacher", "lead", False, 1),
        ("Year 1 lead teacher", "lead", False, 1),
        ("Year 2 lead teacher", "lead", False, 1),
        ("Maths lead", "supporting", False, 1),
        ("Headteacher", "supporting", False, 1),
    ]
    assert _conditions(MASTERING_NUMBER) == [("never_taken_part", [MASTERING_NUMBER], False)]
    assert sorted(report.work_groups_set_up) == sorted(WORK_GROUPS)


def test_the_loader_gives_the_teaching_for_mastery_journey_its_conditions_and_grants():
    catalogue_load()

    development = Programme.objects.get(slug=DEVELOPMENT)
    assert (development.team_leads_min, development.completion_needs_action_plan) == (2, True)
    assert list(development.grants.values_list("academic_year", "amount")) == [
        (2026, 1000),
        (2025, 1000),
    ]
    assert _slots(DEVELOPMENT) == [
        ("Lead teacher", "lead", True, 1),
        ("Second lead teacher", "lead", True, 1),
        ("Headteacher", "supporting", False, 1),
    ]
    assert _conditions(DEVELOPMENT) == [("never_taken_part", [DEVELOPMENT], False)]
    assert _conditions(EMBEDDING) == [("completed_any", [DEVELOPMENT], False)]
    assert _conditions(SUSTAINING) == [
        ("completed_any", [DEVELOPMENT, EMBEDDING], False),
        ("taken_part_any", [SPECIALIST], True),
    ]
    assert _slots(SUSTAINING) == [
        ("Maths lead", "lead", True, 1),
        ("Wider staff", "supporting", False, 6),
    ]
    assert _slots(READINESS) == [
        ("Maths lead", "lead", True, 1),
        ("Second teacher", "lead", True, 1),
        ("Headteacher", "supporting", True, 1),
    ]
    assert Programme.objects.get(slug=READINESS).team_leads_min == 2


def test_individual_programmes_stay_individual():
    catalogue_load()

    individual = Programme.objects.exclude(slug__in=WORK_GROUPS)
    assert individual.filter(family="maths_hub").count() >= 5
    assert set(individual.values_list("participation", flat=True)) == {"individual"}
    assert not RoleSlot.objects.filter(programme__in=individual).exists()
    specialist = Programme.objects.get(slug=SPECIALIST)
    assert WORK_GROUP_REVIEW_NOTE not in specialist.review_note


def test_sustaining_reads_as_its_pages_say():
    catalogue_load()

    words = programme_work_group_words(programme=Programme.objects.get(slug=SUSTAINING))

    assert words.team == (
        "Schools sign up a team: Maths lead (required); supporting: Wider staff (up to 6 people)."
    )
    assert words.needs == (
        "Needs: the school has completed a year of Development Work Group or Embedding, or "
        "takes part now, or has taken part, in Mastery Specialist."
    )


def test_loading_again_changes_no_work_group():
    catalogue_load()
    before = _set_up()

    report = catalogue_load()

    assert report.work_groups_set_up == [] and report.updated == []
    assert _set_up() == before


def test_a_loaded_work_group_without_slots_or_edits_is_set_up_on_the_next_load():
    catalogue_load()
    expected = _set_up()
    _as_before_the_set_up()

    report = catalogue_load()

    assert sorted(report.work_groups_set_up) == sorted(WORK_GROUPS)
    assert set(WORK_GROUPS) <= set(report.updated)
    assert _set_up() == expected


def test_a_work_group_staff_edited_or_gave_slots_is_left_as_it_is():
    catalogue_load()
    _as_before_the_set_up()
    edited = Programme.objects.get(slug=DEVELOPMENT)
    edited.summary = "Our own words."
    programme_save(programme=edited, by=None)
    with_a_slot = Programme.objects.get(slug=READINESS)
    RoleSlot.objects.create(programme=with_a_slot, label="Our maths lead")

    report = catalogue_load()

    assert DEVELOPMENT not in report.work_groups_set_up
    assert READINESS not in report.work_groups_set_up
    assert not Programme.objects.get(slug=DEVELOPMENT).for_school_teams
    assert _slots(DEVELOPMENT) == []
    assert _slots(READINESS) == [("Our maths lead", "lead", False, 1)]


def test_the_data_migration_sets_up_what_the_loader_would_and_undoes_it():
    catalogue_load()
    expected = _set_up()
    _as_before_the_set_up()
    before = _set_up()

    migration.set_up_work_groups(apps, None)
    assert _set_up() == expected
    migration.set_up_work_groups(apps, None)  # twice: the slots say it is done
    assert _set_up() == expected

    migration.undo_work_groups(apps, None)
    assert _set_up() == before


def test_the_data_migration_leaves_staff_edits_and_going_back_keeps_slots_in_use():
    catalogue_load()
    _as_before_the_set_up()
    edited = Programme.objects.get(slug=EMBEDDING)
    programme_save(programme=edited, by=None)

    migration.set_up_work_groups(apps, None)
    team_sign_up(cohort=CohortFactory(programme=Programme.objects.get(slug=MASTERING_NUMBER)))
    migration.undo_work_groups(apps, None)

    assert _slots(EMBEDDING) == []
    assert not Programme.objects.get(slug=EMBEDDING).for_school_teams
    # A school signed up a team in Mastering Number: its set-up is in use and stays whole;
    # the rest are undone.
    mastering_number = Programme.objects.get(slug=MASTERING_NUMBER)
    assert len(_slots(MASTERING_NUMBER)) == 5
    assert mastering_number.for_school_teams
    assert mastering_number.prerequisite_rules.exists()
    assert WORK_GROUP_REVIEW_NOTE in mastering_number.review_note
    assert _slots(DEVELOPMENT) == []
    assert WORK_GROUP_REVIEW_NOTE not in Programme.objects.get(slug=DEVELOPMENT).review_note


def test_a_work_group_teachers_already_applied_to_one_by_one_is_not_turned_into_teams():
    catalogue_load()
    _as_before_the_set_up()
    development = Programme.objects.get(slug=DEVELOPMENT)
    ApplicationFactory(cohort=CohortFactory(programme=development))

    migration.set_up_work_groups(apps, None)
    catalogue_load()

    development.refresh_from_db()
    assert not development.for_school_teams and _slots(DEVELOPMENT) == []
    assert Programme.objects.get(slug=MASTERING_NUMBER).for_school_teams
