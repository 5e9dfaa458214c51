"""The seeded catalogue: what loads, that it loads once, and that staff edits survive."""

from dataclasses import replace

import pytest
from django.core.management import call_command

from programmes.catalogue import ClinicSeed, CourseSeed, ModuleSeed, ProgrammeSeed
from programmes.catalogue_content import CATALOGUE
from programmes.forms import NPQ_COURSE_IDENTIFIERS
from programmes.models import Clinic, Course, Module, Programme
from programmes.services import catalogue_item_save, catalogue_load, programme_save

pytestmark = pytest.mark.django_db

# Every NPQ the funding rules know, but the retired Additional Support Offer.
NPQ_IDENTIFIERS = set(NPQ_COURSE_IDENTIFIERS) - {"npq-additional-support-offer"}

NPQLPM_COURSES = [
    ("conference", None, "Conference", []),
    (
        "course",
        1,
        "Culture and Learning",
        [
            "Primary mathematics: a theory of change",
            "Simple model of memory",
            "Culture and behaviour",
        ],
    ),
    (
        "course",
        2,
        "Assessment",
        ["Decision-driven data collection", "Responsive teaching", "Feedback"],
    ),
    ("course", 3, "Instruction", ["Introduce", "Adapt", "Embed"]),
    (
        "course",
        4,
        "Curriculum",
        ["Curricular purpose and content", "Sequencing learning", "Early mathematics"],
    ),
    (
        "course",
        5,
        "Professional Development",
        [
            "Developing expertise",
            "Mechanisms for behaviour change",
            "Enabling continual improvement",
        ],
    ),
    ("course", 6, "Implementation", ["Explore", "Prepare", "Deliver and sustain"]),
]


@pytest.fixture
def loaded():
    return catalogue_load()


def test_npqlpm_has_the_conference_six_courses_and_the_assessment_package(loaded):
    npqlpm = Programme.objects.get(course_identifier="npq-leading-primary-mathematics")
    courses = list(npqlpm.courses.order_by("position"))

    assert npqlpm.short_name == "NPQLPM"
    assert npqlpm.length == "1 year"
    assert "Teaching for Mastery" in npqlpm.prerequisites
    assert "Culture and Learning" in npqlpm.curriculum_rationale
    assert len(courses) == 8
    for course, (kind, number, title, modules) in zip(courses, NPQLPM_COURSES, strict=False):
        assert (course.kind, course.number, course.title) == (kind, number, title)
        assert [m.title for m in course.modules.order_by("position")] == modules
        assert course.clinics.count() == (0 if kind == "conference" else 1)
        assert course.aims and course.key_content_points
    package = courses[-1]
    assert package.kind == Course.Kind.ASSESSMENT_PREPARATION
    assert package.title == "Assessment Preparation Package"
    assert package.modules.filter(format=Module.Format.WEBINAR).count() == 2
    assert package.clinics.count() == 1


def test_every_npq_of_the_funding_rules_is_present_but_the_retired_aso(loaded):
    identifiers = set(
        Programme.objects.exclude(course_identifier="").values_list("course_identifier", flat=True)
    )

    assert identifiers == NPQ_IDENTIFIERS
    assert not Programme.objects.filter(course_identifier="npq-additional-support-offer").exists()


def test_programmes_the_pages_say_nothing_of_are_marked_as_the_hubs_own_text(loaded):
    hub_written = set(
        Programme.objects.filter(content_source=Programme.ContentSource.HUB).values_list(
            "course_identifier", flat=True
        )
    )

    assert {
        "npq-leading-literacy",
        "npq-senco",
        "npq-early-years-leadership",
        "npq-early-headship-coaching-offer",
    } <= hub_written
    for programme in Programme.objects.filter(content_source=Programme.ContentSource.HUB):
        assert programme.review_note, programme


def test_maths_hub_programmes_carry_who_can_take_part_and_their_rules(loaded):
    maths_hub = Programme.objects.filter(family=Programme.Family.MATHS_HUB)
    mastering_number = maths_hub.get(name__icontains="Mastering Number")

    assert maths_hub.count() == 12
    assert all(programme.who_for for programme in maths_hub)
    assert "Reception" in mastering_number.participant_rules
    assert "Year 1" in mastering_number.participant_rules
    assert mastering_number.for_early_years and mastering_number.for_primary
    years_5_to_8 = maths_hub.get(name__icontains="5-8")
    assert years_5_to_8.for_primary and years_5_to_8.for_secondary


def test_every_npq_has_its_length_and_its_assessment(loaded):
    for programme in Programme.objects.exclude(family=Programme.Family.MATHS_HUB):
        assert programme.length and programme.length_months, programme
        assert 6 <= programme.length_months <= 27, programme
        if programme.family != Programme.Family.SUPPORT:
            assert "case study" in programme.assessment, programme


def test_loading_twice_changes_nothing(loaded):
    before = {
        "programmes": list(Programme.objects.values()),
        "courses": list(Course.objects.values()),
        "modules": list(Module.objects.values()),
        "clinics": list(Clinic.objects.values()),
    }

    report = catalogue_load()

    assert loaded.created and len(loaded.created) == len(CATALOGUE)
    assert report.created == report.updated == report.kept_staff_edits == []
    assert len(report.unchanged) == len(CATALOGUE)
    assert list(Programme.objects.values()) == before["programmes"]
    assert list(Course.objects.values()) == before["courses"]
    assert list(Module.objects.values()) == before["modules"]
    assert list(Clinic.objects.values()) == before["clinics"]


def test_a_staff_edit_survives_a_reload_until_overwrite_is_asked_for(loaded):
    headship = Programme.objects.get(course_identifier="npq-headship")
    seeded_who_for = headship.who_for
    headship.who_for = "Our own wording for aspiring heads in the trust."
    programme_save(programme=headship, by=None)

    report = catalogue_load()
    headship.refresh_from_db()
    assert report.kept_staff_edits == ["npq-headship"]
    assert headship.who_for == "Our own wording for aspiring heads in the trust."

    report = catalogue_load(overwrite=True)
    headship.refresh_from_db()
    assert "npq-headship" in report.updated
    assert headship.who_for == seeded_who_for
    assert headship.edited_at is None


def test_the_load_catalogue_command_reports_what_it_did(capsys):
    call_command("load_catalogue")
    call_command("load_catalogue")

    output = capsys.readouterr().out.splitlines()
    assert (
        output[0]
        == f"Catalogue: {len(CATALOGUE)} created, 0 updated, 0 unchanged, 0 kept as staff edited them."
    )
    assert output[1].startswith("Given the catalogue's Work Group set-up (check it on each")
    assert "maths-hub-mastering-number" in output[1]
    assert (
        output[2]
        == f"Catalogue: 0 created, 0 updated, {len(CATALOGUE)} unchanged, 0 kept as staff edited them."
    )
    assert len(output) == 3


def _source_text(name: str) -> str:
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "shared" / "seeds" / name
    if not page.exists():
        pytest.skip(f"The source pages are not beside the project ({page} is missing).")
    return " ".join(page.read_text(encoding="utf-8").split())


# The one typo in the page's key content, corrected.
NPQLPM_TYPO_FIXES = {"The importance of early mathematical": "The important of early mathematical"}


def test_npqlpm_aims_and_key_content_are_the_source_pages_own_words(loaded):
    source = _source_text("001_3d224ac271ae6bbb.txt")
    npqlpm = Programme.objects.get(slug="npq-leading-primary-mathematics")

    for course in npqlpm.courses.all():
        assert " ".join(course.aims.split()) in source, course
        for point in course.key_content_points:
            for fixed, original in NPQLPM_TYPO_FIXES.items():
                point = point.replace(fixed, original)
            assert point in source, (course, point)


# ---- The loader against small, hand-made seeds ----

SEED = ProgrammeSeed(
    slug="npq-leading-teaching",
    course_identifier="npq-leading-teaching",
    short_name="NPQLT",
    name="NPQ in Leading Teaching",
    family="specialist",
    phases=("primary", "secondary"),
    summary="For subject leads.",
    who_for="Teachers who lead a subject.",
    courses=(
        CourseSeed(
            kind="course",
            title="Instruction",
            number=1,
            modules=(ModuleSeed("Introduce"), ModuleSeed("Adapt"), ModuleSeed("Embed")),
            clinics=(ClinicSeed("Instruction clinic"),),
        ),
    ),
)


def _module_rows(programme):
    course = programme.courses.get()
    return list(course.modules.order_by("position").values_list("title", "position"))


def test_a_title_corrected_in_the_content_updates_the_row_instead_of_adding_one():
    catalogue_load(seeds=(SEED,))
    corrected = replace(
        SEED,
        courses=(
            replace(
                SEED.courses[0],
                modules=(ModuleSeed("Introduce"), ModuleSeed("Adapt and scaffold")),
            ),
        ),
    )

    report = catalogue_load(seeds=(corrected,))

    assert report.updated == ["npq-leading-teaching"]
    assert _module_rows(Programme.objects.get()) == [("Introduce", 0), ("Adapt and scaffold", 1)]


def test_overwrite_after_staff_renamed_and_added_leaves_no_duplicates_or_ties():
    catalogue_load(seeds=(SEED,))
    programme = Programme.objects.get()
    course = programme.courses.get()
    introduce = course.modules.get(title="Introduce")
    introduce.title = "Introduce (explicit instruction)"
    catalogue_item_save(item=introduce, by=None)
    catalogue_item_save(item=Module(course=course, title="Our own module"), by=None)

    assert catalogue_load(seeds=(SEED,)).kept_staff_edits == ["npq-leading-teaching"]
    catalogue_load(seeds=(SEED,), overwrite=True)

    assert _module_rows(programme) == [
        ("Introduce", 0),
        ("Adapt", 1),
        ("Embed", 2),
        ("Our own module", 3),
    ]


def test_a_staff_programme_holding_a_seeds_identifier_is_reported_not_crashed_on():
    Programme.objects.create(
        slug="our-leading-teaching",
        course_identifier="npq-leading-teaching",
        short_name="LT",
        name="Leading Teaching (ours)",
        family="specialist",
        summary="x",
        who_for="x",
    )

    report = catalogue_load(seeds=(SEED,))

    assert report.created == []
    assert report.conflicts == [
        "npq-leading-teaching: npq-leading-teaching already belongs to "
        "/programmes/our-leading-teaching/"
    ]
    assert Programme.objects.count() == 1


def test_a_dry_run_reports_and_changes_nothing():
    report = catalogue_load(seeds=(SEED,), dry_run=True)

    assert report.created == ["npq-leading-teaching"]
    assert not Programme.objects.exists()


def test_overwrite_can_be_limited_to_one_programme():
    other = replace(SEED, slug="npq-leading-literacy", course_identifier="npq-leading-literacy")
    catalogue_load(seeds=(SEED, other))
    for programme in Programme.objects.all():
        programme.who_for = "Staff wording"
        programme_save(programme=programme, by=None)

    report = catalogue_load(seeds=(SEED, other), overwrite=True, only={"npq-leading-literacy"})

    assert report.updated == ["npq-leading-literacy"]
    assert Programme.objects.get(slug="npq-leading-teaching").who_for == "Staff wording"
    assert Programme.objects.get(slug="npq-leading-literacy").who_for == SEED.who_for


def test_an_unknown_programme_to_load_is_refused_clearly():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="No seeded programme is called npq-nonsense"):
        catalogue_load(seeds=(SEED,), only={"npq-nonsense"})


def test_npqs_get_their_assessment_word_limits(loaded):
    limits = dict(Programme.objects.values_list("slug", "assessment_word_limit"))

    assert limits["npq-leading-primary-mathematics"] == 1500
    assert limits["npq-senco"] == 1500
    assert limits["npq-senior-leadership"] == 2000
    assert limits["npq-headship"] == 2500
    assert limits["npq-executive-leadership"] == 2500
    assert limits["maths-hub-mastering-number"] is None


def test_a_word_limit_staff_changed_survives_a_reload(loaded):
    headship = Programme.objects.get(slug="npq-headship")
    headship.assessment_word_limit = 3000
    programme_save(programme=headship, by=None)

    catalogue_load()

    headship.refresh_from_db()
    assert headship.assessment_word_limit == 3000


def test_the_data_migration_sets_the_limits_and_undoes_them():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("programmes.migrations.0003_assessment_word_limits_data")
    catalogue_load()
    Programme.objects.update(assessment_word_limit=None)

    migration.set_word_limits(apps, None)
    assert Programme.objects.get(slug="npq-senior-leadership").assessment_word_limit == 2000
    assert Programme.objects.get(slug="npq-leading-literacy").assessment_word_limit == 1500

    migration.clear_word_limits(apps, None)
    assert not Programme.objects.filter(assessment_word_limit__isnull=False).exists()
