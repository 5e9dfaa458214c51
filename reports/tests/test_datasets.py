"""The one table of who gets which columns agrees with the roles table, and keeps TRN and
funding to hub administrators and programme leads."""

import pytest
from django.core.exceptions import PermissionDenied

from npq_portal.roles import ROLE_TABLE, Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from reports.datasets import DATASETS, EVERY, ROLE_COLUMNS, columns_for
from reports.models import Export

LEADS = {Role.HUB_ADMINISTRATOR, Role.PROGRAMME_LEAD}
RESTRICTED = {"trn", "funding", "funded", "calculated", "reason", "override", "outcome"}


def test_every_kind_of_export_has_a_dataset_and_a_row_in_the_table():
    assert set(DATASETS) == set(Export.Kind.values) == set(ROLE_COLUMNS)


@pytest.mark.parametrize("kind", Export.Kind.values)
def test_the_roles_that_may_export_a_list_are_exactly_those_given_its_columns(kind):
    dataset = DATASETS[kind]

    permitted = {spec.role for spec in ROLE_TABLE if dataset.permission in spec.permissions}

    assert permitted == set(ROLE_COLUMNS[kind])


@pytest.mark.parametrize("kind", Export.Kind.values)
def test_the_table_names_only_real_columns_and_trn_and_funding_only_for_leads(kind):
    keys = {column.key for column in DATASETS[kind].columns}

    for role, chosen in ROLE_COLUMNS[kind].items():
        if chosen == EVERY:
            assert role in LEADS, role
            continue
        assert set(chosen) <= keys, role
        assert not set(chosen) & RESTRICTED, role


@pytest.mark.django_db
def test_someone_with_several_roles_gets_the_columns_of_their_highest():
    person = StaffUserFactory(roles=[Role.FACILITATOR, Role.PROGRAMME_LEAD])

    columns = columns_for(user=person, dataset=DATASETS["attendance"], filters={})

    assert columns == DATASETS["attendance"].columns


@pytest.mark.django_db
def test_a_teacher_gets_no_columns():
    with pytest.raises(PermissionDenied, match="You may not export applications"):
        columns_for(user=UserFactory(), dataset=DATASETS["applications"], filters={})


@pytest.mark.django_db
def test_a_school_leaders_columns_go_only_with_their_schools_rows():
    person = StaffUserFactory(roles=[Role.FACILITATOR, Role.SCHOOL_LEADER])
    places = DATASETS["enrolments"]

    mine = columns_for(user=person, dataset=places, filters={"schools": "mine"})

    assert "email" in {column.key for column in mine}
    with pytest.raises(PermissionDenied, match="None of your roles has columns"):
        columns_for(user=person, dataset=places, filters={})  # their cohorts' places


def test_the_application_exports_carry_every_filter_of_the_review_queue():
    query = {"year": "2027", "partner": "4", "status": "accepted", "unknown": "x"}

    for kind in ("applications", "funding-decisions"):
        assert DATASETS[kind].filters_from(query) == {
            "year": "2027",
            "partner": "4",
            "status": "accepted",
        }


def test_both_exports_of_applications_start_with_the_same_applicant_columns():
    applications = DATASETS[Export.Kind.APPLICATIONS].columns[:9]
    funding_decisions = DATASETS[Export.Kind.FUNDING_DECISIONS].columns[:9]

    assert applications == funding_decisions  # one definition: the same Column objects
    assert [column.key for column in applications] == [
        "id",
        "first_name",
        "last_name",
        "email",
        "trn",
        "programme",
        "cohort",
        "school_urn",
        "school",
    ]
