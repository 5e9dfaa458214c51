"""A Work Group's set-up, edited by staff: who takes part and how a school completes on the
programme's form; its role slots, prerequisites and grants on a page each; all of it in words
on the public and staff pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.tests.factories import ApplicationFactory, team_sign_up
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from programmes.models import Prerequisite, Programme, ProgrammeGrant, RoleSlot
from programmes.selectors import programme_work_group_words
from programmes.services import (
    programme_grants_set,
    programme_prerequisites_set,
    programme_role_slots_set,
)

from .factories import ProgrammeFactory, RoleSlotFactory, work_group_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    user = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, user)
    return user


def _management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def _slot_rows(*rows) -> dict:
    """POST data for the role slots page: (id or None, label, kind, required, people, delete)."""
    data = _management("roleslot", len(rows), sum(1 for row in rows if row[0]))
    for i, (pk, label, kind, required, people, delete) in enumerate(rows):
        data |= {
            f"roleslot-{i}-id": pk or "",
            f"roleslot-{i}-position": i,
            f"roleslot-{i}-label": label,
            f"roleslot-{i}-kind": kind,
            f"roleslot-{i}-people": people,
            f"roleslot-{i}-hint": "",
        }
        if required:
            data[f"roleslot-{i}-required"] = "on"
        if delete:
            data[f"roleslot-{i}-DELETE"] = "on"
    return data


def _entry(**fields) -> dict:
    return {"id": None, "delete": False, "position": 0, **fields}


# ---- The programme's form ----


def test_staff_make_a_programme_a_work_group_on_its_form(client, lead):
    programme = ProgrammeFactory(family=Programme.Family.MATHS_HUB)
    url = reverse("programmes:programme-update", args=[programme.slug])

    client.post(
        url,
        {
            "name": programme.name,
            "short_name": programme.short_name,
            "family": programme.family,
            "summary": programme.summary,
            "who_for": programme.who_for,
            "content_source": "source_pages",
            "participation": "school_team",
            "team_leads_min": 2,
            "completion_sessions": 5,
            "completion_needs_action_plan": "on",
            "commitment": "Release two teachers for six half days.",
            "priority": "disadvantage",
        },
    )

    programme.refresh_from_db()
    assert programme.for_school_teams
    assert (programme.team_leads_min, programme.completion_sessions) == (2, 5)
    assert programme.completion_needs_action_plan
    assert programme.commitment == "Release two teachers for six half days."
    assert programme.priority == Programme.Priority.DISADVANTAGE
    assert programme.edited_by == lead


def test_more_lead_participants_than_the_lead_slots_take_is_refused_on_the_form(client, lead):
    programme = work_group_programme("Maths lead", "Second teacher")
    url = reverse("programmes:programme-update", args=[programme.slug])

    response = client.post(
        url,
        {
            "name": programme.name,
            "short_name": programme.short_name,
            "family": programme.family,
            "summary": programme.summary,
            "who_for": programme.who_for,
            "content_source": "source_pages",
            "participation": "school_team",
            "team_leads_min": 3,
        },
    )

    assert response.context["form"].errors["team_leads_min"] == [
        "Its lead slots take only 2: add a lead slot first, or ask for fewer."
    ]
    programme.refresh_from_db()
    assert programme.team_leads_min == 1


def test_the_form_offers_the_work_group_choices_in_words(client, lead):
    programme = ProgrammeFactory()

    page = client.get(reverse("programmes:programme-update", args=[programme.slug]))

    text = page.content.decode()
    assert "Schools sign up a team" in text
    assert "Schools on the PP50 list first, then in the order they signed up" in text


# ---- Role slots ----


def test_staff_add_change_and_delete_role_slots_on_their_page(client, lead):
    programme = work_group_programme("Year 1 lead teacher", "Year 3 lead teacher")
    year_1, year_3 = programme.role_slots.all()
    url = reverse("programmes:role-slots", args=[programme.slug])

    response = client.post(
        url,
        _slot_rows(
            (year_1.pk, "Year 1 lead teacher", "lead", True, 1, False),
            (year_3.pk, "Year 3 lead teacher", "lead", False, 1, True),
            (None, "Headteacher", "supporting", True, 1, False),
            (None, "", "lead", False, 1, False),  # a blank row is left out
        ),
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#work-group")
    assert list(programme.role_slots.values_list("label", "kind", "required")) == [
        ("Year 1 lead teacher", "lead", True),
        ("Headteacher", "supporting", True),
    ]
    programme.refresh_from_db()
    assert programme.edited_by == lead


def test_the_role_slots_page_shows_each_slot_with_a_blank_one_to_add(client, lead):
    programme = work_group_programme()

    page = client.get(reverse("programmes:role-slots", args=[programme.slug])).content.decode()

    assert "Reception lead teacher</legend>" in page
    assert "Add another</legend>" in page
    assert 'name="roleslot-TOTAL_FORMS" value="5"' in page


def test_deleting_a_slot_schools_named_people_in_is_refused_and_changes_nothing(client, lead):
    programme = work_group_programme("Year 1 lead teacher", "Year 2 lead teacher")
    team_sign_up(cohort=CohortFactory(programme=programme))
    year_1, year_2 = programme.role_slots.all()

    response = client.post(
        reverse("programmes:role-slots", args=[programme.slug]),
        _slot_rows(
            (year_1.pk, "Year 1 class teacher", "lead", False, 1, False),
            (year_2.pk, "Year 2 lead teacher", "lead", False, 1, True),
        ),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "“Year 2 lead teacher” is a role schools have named people in" in page
    assert list(programme.role_slots.values_list("label", flat=True)) == [
        "Year 1 lead teacher",
        "Year 2 lead teacher",
    ]
    programme.refresh_from_db()
    assert programme.edited_at is None


def test_slots_that_cannot_take_the_fewest_lead_participants_are_refused():
    programme = work_group_programme("Maths lead", "Second teacher", team_leads_min=2)
    maths_lead, second = programme.role_slots.all()

    with pytest.raises(ValidationError, match="at least 2 lead participants, but the lead slots"):
        programme_role_slots_set(
            programme=programme,
            entries=[
                _entry(
                    id=second.pk,
                    delete=False,
                    label="Second teacher",
                    kind="supporting",
                    required=False,
                    people=1,
                    hint="",
                )
            ],
            by=None,
        )

    second.refresh_from_db()
    assert second.kind == RoleSlot.Kind.LEAD


def test_a_slot_of_another_programme_cannot_be_changed_through_this_one():
    programme = work_group_programme("Maths lead")
    other = RoleSlotFactory()

    with pytest.raises(ValidationError, match="Someone else changed this list"):
        programme_role_slots_set(
            programme=programme,
            entries=[_entry(id=other.pk, delete=True)],
            by=None,
        )

    assert RoleSlot.objects.filter(pk=other.pk).exists()


# ---- Prerequisites ----


def test_staff_set_a_programmes_prerequisites_on_their_page(client, lead):
    development = ProgrammeFactory(short_name="Development", family=Programme.Family.MATHS_HUB)
    embedding = ProgrammeFactory(short_name="Embedding", family=Programme.Family.MATHS_HUB)
    specialist = ProgrammeFactory(short_name="Specialist", family=Programme.Family.MATHS_HUB)
    sustaining = work_group_programme("Maths lead")
    data = _management("prerequisite", 2, 0) | {
        "prerequisite-0-position": 1,
        "prerequisite-0-kind": "completed_any",
        "prerequisite-0-programmes": [development.pk, embedding.pk],
        "prerequisite-1-position": 2,
        "prerequisite-1-kind": "taken_part_any",
        "prerequisite-1-programmes": [specialist.pk],
        "prerequisite-1-or_previous": "on",
    }

    response = client.post(reverse("programmes:prerequisites", args=[sustaining.slug]), data)

    assert response.status_code == 302
    first, second = sustaining.prerequisite_rules.all()
    assert (first.kind, set(first.programmes.all())) == ("completed_any", {development, embedding})
    assert (second.kind, second.or_previous) == ("taken_part_any", True)
    assert list(second.programmes.all()) == [specialist]


def test_the_first_condition_cannot_be_an_alternative_to_one_before_it():
    development = ProgrammeFactory(short_name="Development")
    embedding = work_group_programme("Lead teacher")

    with pytest.raises(ValidationError, match="The first condition cannot be"):
        programme_prerequisites_set(
            programme=embedding,
            entries=[
                _entry(
                    kind="completed_any",
                    programmes=[development],
                    or_previous=True,
                    junior_schools_exempt=False,
                )
            ],
            by=None,
        )

    assert not Prerequisite.objects.exists()


# ---- Grants ----


def test_staff_set_grants_by_school_year_on_their_page(client, lead):
    programme = work_group_programme("Lead teacher")
    data = _management("programmegrant", 2, 0) | {
        "programmegrant-0-academic_year": 2025,
        "programmegrant-0-amount": 1000,
        "programmegrant-0-purpose": "Towards the cost of cover",
        "programmegrant-1-purpose": "Towards the cost of cover",  # a blank row, as shown
    }

    response = client.post(reverse("programmes:grants", args=[programme.slug]), data)

    assert response.status_code == 302
    grant = ProgrammeGrant.objects.get()
    assert (grant.programme, grant.academic_year, grant.amount) == (programme, 2025, 1000)


def test_two_grants_for_one_school_year_are_refused_and_change_nothing():
    programme = work_group_programme("Lead teacher")
    ProgrammeGrant.objects.create(programme=programme, academic_year=2025, amount=1000)
    values = {"amount": 500, "purpose": "Cover"}

    with pytest.raises(ValidationError, match="Two grants are for 2025/26"):
        programme_grants_set(
            programme=programme, entries=[_entry(academic_year=2025, **values)], by=None
        )

    assert list(programme.grants.values_list("academic_year", "amount")) == [(2025, 1000)]


def test_a_grant_moved_to_another_year_and_one_added_in_its_place_is_saved():
    programme = work_group_programme("Lead teacher")
    grant = ProgrammeGrant.objects.create(programme=programme, academic_year=2025, amount=1000)

    programme_grants_set(
        programme=programme,
        entries=[
            _entry(id=grant.pk, academic_year=2024, amount=1000, purpose="Cover"),
            _entry(academic_year=2026, amount=1200, purpose="Cover"),
        ],
        by=None,
    )

    assert sorted(programme.grants.values_list("academic_year", "amount")) == [
        (2024, 1000),
        (2026, 1200),
    ]


# ---- In words ----


def _mastering_number() -> Programme:
    programme = work_group_programme(
        "Reception lead teacher",
        "Year 1 lead teacher",
        "Year 2 lead teacher",
        short_name="Mastering Number",
        completion_sessions=4,
        priority=Programme.Priority.DISADVANTAGE,
        commitment="Release the three lead teachers for each session.",
    )
    RoleSlotFactory(
        programme=programme, position=5, label="Headteacher", kind="supporting", required=True
    )
    RoleSlotFactory(
        programme=programme, position=6, label="Wider staff", kind="supporting", people=6
    )
    condition = Prerequisite.objects.create(programme=programme, kind="never_taken_part")
    condition.programmes.add(programme)
    ProgrammeGrant.objects.create(programme=programme, academic_year=2025, amount=1000)
    return programme


def test_a_work_groups_set_up_reads_as_sentences():
    words = programme_work_group_words(programme=_mastering_number())

    assert words.team == (
        "Schools sign up a team of at least 1 lead participant: Reception lead teacher, Year 1 "
        "lead teacher and Year 2 lead teacher; supporting: Headteacher (required) and Wider "
        "staff (up to 6 people)."
    )
    assert words.needs == "Needs: the school has never taken part in Mastering Number."
    assert words.completion == (
        "A school completes when a lead participant attended at least 4 sessions."
    )
    assert words.priority == (
        "When there are more schools than places: schools on the PP50 list first, then in the "
        "order they signed up."
    )
    assert words.grants == ("£1,000 a school in 2025/26: towards the cost of cover.",)


def test_alternative_conditions_read_with_or_and_groups_with_and():
    development = ProgrammeFactory(short_name="Development")
    embedding = ProgrammeFactory(short_name="Embedding")
    specialist = ProgrammeFactory(short_name="Mastery Specialist")
    programme = work_group_programme("Maths lead", completion_needs_action_plan=True)
    for position, (kind, names, alternative) in enumerate(
        [
            ("completed_any", [development, embedding], False),
            ("taken_part_any", [specialist], True),
            ("completed_any", [development], False),
        ]
    ):
        condition = Prerequisite.objects.create(
            programme=programme, position=position, kind=kind, or_previous=alternative
        )
        condition.programmes.set(names)

    words = programme_work_group_words(programme=programme)

    assert words.needs == (
        "Needs: the school has completed a year of Development or Embedding, or takes part "
        "now, or has taken part, in Mastery Specialist; and has completed a year of "
        "Development."
    )
    assert words.completion == "A school completes when its action plan is in."


def test_an_individual_programme_has_no_work_group_words(django_assert_num_queries):
    programme = ProgrammeFactory()

    with django_assert_num_queries(0):
        assert programme_work_group_words(programme=programme) is None


def test_the_public_page_says_how_schools_take_part_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    programme = _mastering_number()

    with django_assert_max_num_queries(9):
        response = client.get(programme.get_absolute_url())

    page = response.content.decode()
    assert "How schools take part" in page
    assert "Schools sign up a team of at least 1 lead participant: Reception lead" in page
    assert "Needs: the school has never taken part in Mastering Number." in page
    assert "Release the three lead teachers for each session." in page


def test_the_staff_page_shows_the_set_up_and_links_to_each_part(client, lead):
    programme = _mastering_number()

    page = client.get(
        reverse("programmes:staff-programme-detail", args=[programme.slug])
    ).content.decode()

    assert "Grant: £1,000 a school in 2025/26" in page
    for name in ("role-slots", "prerequisites", "grants"):
        assert reverse(f"programmes:{name}", args=[programme.slug]) in page


def test_the_staff_page_of_an_individual_programme_says_so(client, lead):
    programme = ProgrammeFactory()

    page = client.get(
        reverse("programmes:staff-programme-detail", args=[programme.slug])
    ).content.decode()

    assert "Individual teachers apply, giving their TRN." in page
    assert reverse("programmes:role-slots", args=[programme.slug]) not in page


def test_who_takes_part_cannot_change_once_people_have_applied(client, lead):
    programme = ProgrammeFactory(family=Programme.Family.MATHS_HUB)
    ApplicationFactory(cohort=CohortFactory(programme=programme))
    url = reverse("programmes:programme-update", args=[programme.slug])

    response = client.post(
        url,
        {
            "name": programme.name,
            "short_name": programme.short_name,
            "family": programme.family,
            "summary": programme.summary,
            "who_for": programme.who_for,
            "content_source": "source_pages",
            "participation": "school_team",
        },
    )

    assert "who takes part cannot change now" in response.content.decode()
    programme.refresh_from_db()
    assert not programme.for_school_teams
