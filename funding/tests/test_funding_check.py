"""The funding_check command and recorded decisions, through the database."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from funding.models import FundingDecision
from funding.services import funding_decide, funding_decision_override
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from schools.models import EligibilityList
from schools.services import eligibility_list_upload
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

SCHOOL_FACTS = {
    "course_identifier": "npq-headship",
    "cohort": {"funded": True},
    "inside_catchment": True,
    "work_setting": "a_school",
    "institution": {
        "kind": "school",
        "urn": "100001",
        "establishment_type_code": 34,
        "number_of_pupils": 120,
        "phase_name": "Primary",
        "on_pp50_school_list": False,
    },
}


def _run(tmp_path, lines, *options):
    facts = tmp_path / "facts.jsonl"
    facts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from io import StringIO

    out = StringIO()
    error = None
    try:
        call_command("funding_check", "--input", str(facts), *options, stdout=out)
    except CommandError as raised:
        error = raised
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def _upload(kind: str, identifiers: list[str]) -> EligibilityList:
    from io import BytesIO

    column = EligibilityList.IDENTIFIER[kind].split(" or ")[0]
    body = "\r\n".join([column, *identifiers]).encode()
    return eligibility_list_upload(kind=kind, source=BytesIO(body), file_name="list.csv", by=None)


def test_good_lines_give_one_outcome_each_in_order(tmp_path):
    lpm = {**SCHOOL_FACTS, "course_identifier": "npq-leading-primary-mathematics"}

    outcomes, error = _run(tmp_path, [json.dumps(SCHOOL_FACTS), json.dumps(lpm)], "--rules", "2026")

    assert error is None
    assert [o["status"] for o in outcomes] == ["funded", "ineligible_establishment_not_a_pp50"]
    assert set(outcomes[0]) == {
        "status",
        "funded",
        "subject_to_review",
        "bursary",
        "reason",
        "funded_alternatives",
    }
    assert outcomes[0]["bursary"] is None
    assert "npq-headship" in outcomes[1]["funded_alternatives"]


def test_the_bursary_switch_adds_the_small_schools_bursary(tmp_path):
    outcomes, _ = _run(tmp_path, [json.dumps(SCHOOL_FACTS)], "--rules", "2026", "--bursary")

    assert outcomes[0]["bursary"] == {"eligible": True, "amount": 800}


def test_bad_lines_are_reported_without_stopping_the_rest_and_the_exit_is_1(tmp_path):
    lines = [
        json.dumps(SCHOOL_FACTS),
        "{not json",
        json.dumps({**SCHOOL_FACTS, "course_identifier": "npq-underwater-leadership"}),
        json.dumps({**SCHOOL_FACTS, "institution": None}),
        "[1, 2]",
        json.dumps(SCHOOL_FACTS),
    ]

    outcomes, error = _run(tmp_path, lines, "--rules", "2026")

    assert [("error" in outcome) for outcome in outcomes] == [False, True, True, True, True, False]
    assert outcomes[1]["error"].startswith("This line is not valid JSON")
    assert "npq-underwater-leadership" in outcomes[2]["error"]
    assert error is not None and error.returncode == 1
    assert "4 of 6 lines could not be evaluated" in str(error)


def test_an_unknown_rule_set_is_refused(tmp_path):
    _, error = _run(tmp_path, [json.dumps(SCHOOL_FACTS)], "--rules", "1999")

    assert "There is no rule set called 1999" in str(error)


def test_an_institution_given_by_urn_is_looked_up_with_its_lists(tmp_path):
    SchoolFactory(urn=100001, establishment_type_code=34, number_of_pupils=90)
    SchoolFactory(urn=100002, establishment_type_code=11)  # other independent school
    _upload("pp50_schools", ["100001"])
    lpm = {
        "course_identifier": "npq-leading-primary-mathematics",
        "work_setting": "a_school",
    }

    outcomes, error = _run(
        tmp_path,
        [
            json.dumps({**lpm, "institution": {"urn": "100001"}}),
            json.dumps({**lpm, "institution": {"urn": "100002"}}),
            json.dumps({**lpm, "institution": {"urn": "999999"}}),
        ],
        "--rules",
        "2026",
    )

    assert outcomes[0]["status"] == "funded"
    assert outcomes[1]["status"] == "ineligible_establishment_type"
    assert outcomes[2] == {"error": "No school with URN 999999 in the GIAS data."}
    assert error.returncode == 1


def test_a_16_to_19_setting_is_looked_up_by_ukprn_on_the_further_education_list(tmp_path):
    SchoolFactory(urn=130001, ukprn="10001234", establishment_type_code=18, phase_name="16 plus")
    _upload("pp50_further_education", ["10001234"])
    facts = {
        "course_identifier": "npq-leading-teaching",
        "work_setting": "a_16_to_19_educational_setting",
        "institution": {"ukprn": "10001234"},
    }

    outcomes, error = _run(tmp_path, [json.dumps(facts)], "--rules", "2026")

    assert error is None
    assert outcomes[0]["status"] == "funded"


# ---- Recorded decisions ----


def test_a_decision_keeps_its_rule_set_facts_list_versions_and_reason():
    SchoolFactory(urn=100001)
    version = _upload("rise", ["100001"])
    lead = UserFactory()

    decision = funding_decide(
        subject="applications.application:1",
        facts={
            "course_identifier": "npq-leading-literacy",
            "work_setting": "a_school",
            "institution": {"urn": "100001"},
        },
        rules="2026",
        by=lead,
    )

    assert decision.status == "funded" and decision.funded
    assert decision.facts["institution"]["on_rise_list"] is True
    assert decision.list_versions["rise"] == version.pk
    assert decision.reason
    assert decision.decided_by == lead


def test_facts_that_cannot_be_evaluated_record_nothing():
    with pytest.raises(ValidationError, match="No school with URN 424242"):
        funding_decide(
            subject="x",
            facts={
                "course_identifier": "npq-headship",
                "work_setting": "a_school",
                "institution": {"urn": "424242"},
            },
            rules="2026",
        )

    assert not FundingDecision.objects.exists()


def test_an_override_keeps_the_calculated_outcome_beside_it():
    decision = funding_decide(subject="x", facts=SCHOOL_FACTS, rules="2026")
    admin = UserFactory()

    with pytest.raises(ValidationError, match="Say why"):
        funding_decision_override(decision=decision, funded=False, reason=" ", by=admin)
    decision = funding_decision_override(
        decision=decision, funded=False, reason="Already funded by the trust", by=admin
    )

    assert decision.status == "funded"
    assert decision.effective_status == "marked_ineligible_by_policy"
    assert decision.overridden_by == admin


def test_what_changes_shows_the_decisions_a_new_list_would_change(client):
    SchoolFactory(urn=100001)
    SchoolFactory(urn=100002)
    _upload("rise", ["100009"])  # lists in, so the refusals are final, not provisional
    _upload("pp50_schools", ["100009"])
    lpm = {"course_identifier": "npq-leading-primary-mathematics", "work_setting": "a_school"}
    for urn in ("100001", "100002"):
        funding_decide(
            subject=f"applications.application:{urn}",
            facts={**lpm, "institution": {"urn": urn}},
            rules="2026",
        )
    _upload("pp50_schools", ["100002"])
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    response = client.get(
        reverse("funding:funding-what-changes"),
        {"rules": "2026", "with_current_lists": "on"},
    )

    report = response.context["report"]
    assert (report.checked, report.unchanged) == (2, 1)
    assert [(c.subject, c.before, c.after) for c in report.changes] == [
        ("applications.application:100002", "ineligible_establishment_not_a_pp50", "funded")
    ]
    assert "1 would change, 1 would not" in response.content.decode()


def test_what_changes_under_another_rule_set(client):
    facts = {**SCHOOL_FACTS, "course_identifier": "npq-senior-leadership"}
    funding_decide(subject="a", facts=facts, rules="2026")
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    report = client.get(reverse("funding:funding-what-changes"), {"rules": "2025"}).context[
        "report"
    ]

    assert [(c.before, c.after) for c in report.changes] == [
        ("funded", "ineligible_establishment_not_a_pp50")
    ]


def test_teachers_cannot_see_what_changes(client):
    sign_in(client, UserFactory())

    assert client.get(reverse("funding:funding-what-changes")).status_code == 403


@pytest.mark.parametrize("institution", [{"urn": ""}, {"urn": 0}, {"ukprn": ""}])
def test_a_blank_identifier_is_an_error_not_a_random_school(tmp_path, institution):
    SchoolFactory(urn=100197, ukprn="")
    facts = {"course_identifier": "npq-headship", "work_setting": "a_school"}

    outcomes, error = _run(
        tmp_path, [json.dumps({**facts, "institution": institution})], "--rules", "2026"
    )

    assert "error" in outcomes[0]
    assert error.returncode == 1


KIND_MESSAGE = "kind must be school, private_childcare_provider, local_authority or null, not "


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {
                "course_identifier": "npq-additional-support-offer",
                "cohort": None,
                "institution": {"kind": [None], "urn": "a_school"},
            },
            KIND_MESSAGE + "[None].",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"kind": {}, "urn": "100001"}},
            KIND_MESSAGE + "{}.",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"kind": 1, "ukprn": "10001234"}},
            KIND_MESSAGE + "1.",
        ),
        (
            {
                "course_identifier": "npq-headship",
                "institution": {"kind": "castle", "urn": "100001"},
            },
            KIND_MESSAGE + "'castle'.",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"urn": ["100001"]}},
            "urn must be text or a whole number, not ['100001'].",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"urn": {"urn": "100001"}}},
            "urn must be text or a whole number, not {'urn': '100001'}.",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"urn": True}},
            "urn must be text or a whole number, not True.",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"urn": 100001.5}},
            "urn must be text or a whole number, not 100001.5.",
        ),
        (
            {"course_identifier": "npq-headship", "institution": {"ukprn": ["10001234"]}},
            "ukprn must be text or a whole number, not ['10001234'].",
        ),
        (
            {
                "course_identifier": "npq-headship",
                "institution": {"urn": "100001", "number_of_pupils": [90]},
            },
            "number_of_pupils must be a whole number of 0 or more, not [90].",
        ),
        (
            {
                "course_identifier": "npq-headship",
                "institution": {"urn": "100001", "phase_name": ["Primary"]},
            },
            "phase_name must be text, not ['Primary'].",
        ),
        (
            {"course_identifier": ["npq-headship"]},
            "course_identifier must be text, not ['npq-headship'].",
        ),
        (
            {"course_identifier": {"id": "npq-headship"}},
            "course_identifier must be text, not {'id': 'npq-headship'}.",
        ),
        ({"course_identifier": None}, "course_identifier is required."),
        (
            {"course_identifier": "npq-headship", "work_setting": ["a_school"]},
            "work_setting must be text or null, not ['a_school'].",
        ),
        (
            {"course_identifier": "npq-headship", "kind_of_nursery": 3},
            "kind_of_nursery must be text or null, not 3.",
        ),
        (
            {"course_identifier": "npq-headship", "employment_type": [None]},
            "employment_type must be text or null, not [None].",
        ),
        (
            {"course_identifier": "npq-headship", "previously_funded": [False]},
            "previously_funded must be true or false, not [False].",
        ),
        (
            {"course_identifier": "npq-headship", "cohort": {"funded": [True]}},
            "cohort.funded must be true or false, not [True].",
        ),
        (
            {"course_identifier": "npq-headship", "institution": [{"urn": "100001"}]},
            "institution must be an object.",
        ),
        (
            {
                "course_identifier": "npq-headship",
                "institution": {"kind": [None], "on_rise_list": True},
            },
            KIND_MESSAGE + "[None].",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_named_even_where_the_institution_is_looked_up(
    tmp_path, line, message
):
    SchoolFactory(urn=100001, ukprn="10001234", establishment_type_code=1)

    outcomes, error = _run(
        tmp_path, [json.dumps(line), json.dumps(SCHOOL_FACTS)], "--rules", "2026"
    )

    assert outcomes[0] == {"error": message}
    assert outcomes[1]["status"] == "funded"
    assert error.returncode == 1


def test_a_decision_on_a_malformed_institution_is_refused_naming_the_field():
    SchoolFactory(urn=100001)

    with pytest.raises(ValidationError, match=r"kind must be school, .* not \[None\]\."):
        funding_decide(
            subject="x",
            facts={
                "course_identifier": "npq-headship",
                "work_setting": "a_school",
                "institution": {"kind": [None], "urn": "100001"},
            },
            rules="2026",
        )

    assert not FundingDecision.objects.exists()


def test_gias_codes_and_counts_given_as_text_are_read_as_numbers(tmp_path):
    institution = {
        **SCHOOL_FACTS["institution"],
        "establishment_type_code": " 34",
        "number_of_pupils": "120",
    }
    eleven = {**institution, "establishment_type_code": "11"}  # other independent school

    outcomes, error = _run(
        tmp_path,
        [
            json.dumps({**SCHOOL_FACTS, "institution": institution}),
            json.dumps({**SCHOOL_FACTS, "institution": eleven}),
        ],
        "--rules",
        "2026",
        "--bursary",
    )

    assert error is None
    assert outcomes[0]["status"] == "funded"
    assert outcomes[0]["bursary"] == {"eligible": True, "amount": 800}
    assert outcomes[1]["status"] == "ineligible_establishment_type"


@pytest.mark.parametrize("given", ["1.5", "abc", "", "-3", True])
@pytest.mark.parametrize("name", ["establishment_type_code", "number_of_pupils"])
def test_gias_codes_and_counts_that_are_not_whole_numbers_are_named(tmp_path, name, given):
    institution = {**SCHOOL_FACTS["institution"], name: given}

    outcomes, error = _run(
        tmp_path, [json.dumps({**SCHOOL_FACTS, "institution": institution})], "--rules", "2026"
    )

    assert outcomes == [{"error": f"{name} must be a whole number of 0 or more, not {given!r}."}]
    assert error.returncode == 1


def test_blank_lines_keep_the_output_in_step_with_the_input(tmp_path):
    outcomes, error = _run(
        tmp_path, [json.dumps(SCHOOL_FACTS), "", json.dumps(SCHOOL_FACTS)], "--rules", "2026"
    )

    assert [list(outcome) == ["error"] for outcome in outcomes] == [False, True, False]
    assert error.returncode == 1


def test_a_line_that_breaks_the_parser_does_not_lose_the_others(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000

    outcomes, error = _run(
        tmp_path, [json.dumps(SCHOOL_FACTS), deep, json.dumps(SCHOOL_FACTS)], "--rules", "2026"
    )

    assert len(outcomes) == 3
    assert "error" in outcomes[1] and outcomes[2]["status"] == "funded"


def test_the_command_reads_standard_input(tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "manage.py", "funding_check", "--rules", "2026", "--bursary"],
        input=json.dumps(SCHOOL_FACTS) + "\n",
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["bursary"] == {"eligible": True, "amount": 800}


def test_a_childcare_provider_given_by_ofsted_urn_takes_its_lists(tmp_path):
    _upload("childminders", ["EY123456"])
    facts = {
        "course_identifier": "npq-early-years-leadership",
        "work_setting": "early_years_or_childcare",
        "kind_of_nursery": "childminder",
        "institution": {"kind": "private_childcare_provider", "urn": "ey123456"},
    }

    outcomes, error = _run(tmp_path, [json.dumps(facts)], "--rules", "2026")

    assert error is None
    assert outcomes[0]["status"] == "funded"


def test_the_disadvantaged_early_years_list_takes_ofsted_urns_and_urns():
    version = _upload("disadvantaged_early_years", ["EY123456", "107001"])

    assert set(version.entries.values_list("identifier", flat=True)) == {"EY123456", "107001"}


def test_a_list_file_that_is_not_text_is_refused_clearly():
    from io import BytesIO

    from schools.services import eligibility_list_upload

    with pytest.raises(ValidationError, match="neither UTF-8 nor Windows-1252"):
        eligibility_list_upload(
            kind="rise", source=BytesIO(b"URN\r\n10\x810001\r\n"), file_name="x.csv", by=None
        )

    assert not EligibilityList.objects.exists()


def test_overrides_are_kept_as_history_and_decisions_record_lists_only_when_used():
    decision = funding_decide(subject="x", facts=SCHOOL_FACTS, rules="2026")
    admin = UserFactory()

    funding_decision_override(decision=decision, funded=False, reason="Trust pays", by=admin)
    decision = funding_decision_override(
        decision=decision, funded=True, reason="Policy exception agreed", by=admin
    )

    assert decision.list_versions == {}  # the facts carried their own list memberships
    assert [o.status for o in decision.overrides.order_by("pk")] == [
        "marked_ineligible_by_policy",
        "marked_funded_by_policy",
    ]
    assert decision.effective_funded is True


def test_cohorts_offer_exactly_the_registered_rule_sets():
    from cohorts.models import FUNDING_RULE_SETS
    from funding.rules import RULE_SETS

    assert {name for name, _ in FUNDING_RULE_SETS} == {
        name for name in RULE_SETS if not name.startswith("test")
    }


def test_the_catalogue_knows_exactly_the_courses_the_funding_rules_know():
    from funding.rules import COURSE_IDENTIFIERS
    from programmes.forms import NPQ_COURSE_IDENTIFIERS

    assert set(NPQ_COURSE_IDENTIFIERS) == set(COURSE_IDENTIFIERS)
