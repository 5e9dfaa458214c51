"""Property-based tests of the funding rules, funding_check and funding_decide: any facts
give an outcome with a reason, or a sentence saying what is wrong, and nothing else."""

import dataclasses
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from funding import rules as engine
from funding.models import FundingDecision
from funding.rules import (
    REASONS,
    RULE_SETS,
    FundingError,
    FundingFacts,
    Institution,
    facts_from_json,
    funding_evaluate,
)
from funding.services import funding_decide

# Counts for `make test` (the "ci" profile's 100), scaled by the Hypothesis profile conftest.py
# loads: far more in `make fuzz`. These settings take derandomize and the database from it too.
SCALE = settings.default.max_examples / 100
PURE = settings(max_examples=int(300 * SCALE), deadline=None)
WITH_DATABASE = settings(
    max_examples=int(40 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

COURSES = sorted({course for rule_set in RULE_SETS.values() for course in rule_set.course_set})
texts = st.one_of(st.none(), st.text(max_size=20))
known = st.sampled_from(
    [
        engine.A_SCHOOL,
        engine.AN_ACADEMY_TRUST,
        engine.A_16_TO_19_SETTING,
        engine.EARLY_YEARS_OR_CHILDCARE,
        engine.ANOTHER_SETTING,
        engine.OTHER,
        engine.PRIVATE_NURSERY,
        engine.CHILDMINDER,
        engine.LA_MAINTAINED_NURSERY,
        engine.LEAD_MENTOR,
        engine.HOSPITAL_SCHOOL,
        engine.SCHOOL,
        engine.PRIVATE_CHILDCARE_PROVIDER,
        engine.LOCAL_AUTHORITY,
    ]
)
maybe_known = st.one_of(st.none(), known, st.text(max_size=10))
numbers = st.one_of(st.none(), st.integers(0, 10**6))

institutions = st.builds(
    Institution,
    kind=st.one_of(st.none(), st.sampled_from(sorted(engine.INSTITUTION_KINDS))),
    urn=st.one_of(st.none(), st.from_regex(r"[0-9]{6}", fullmatch=True)),
    ukprn=st.one_of(st.none(), st.from_regex(r"[0-9]{8}", fullmatch=True)),
    establishment_type_code=st.one_of(st.none(), st.integers(0, 60)),
    number_of_pupils=numbers,
    phase_name=st.one_of(st.none(), st.sampled_from(["Primary", "Secondary", "Nursery", ""])),
    on_rise_list=st.booleans(),
    on_pp50_school_list=st.booleans(),
    on_pp50_further_education_list=st.booleans(),
    on_childminders_list=st.booleans(),
    on_la_disadvantaged_nursery_list=st.booleans(),
    on_disadvantaged_early_years_list=st.booleans(),
    on_bursary_further_education_list=st.booleans(),
    unknown_lists=st.frozensets(st.sampled_from(engine._INSTITUTION_FLAGS)),
)


@st.composite
def well_typed_facts(draw):
    """Facts of the right types (which is all FundingFacts checks), in any combination."""
    setting = draw(maybe_known)
    institution = draw(st.one_of(st.none(), institutions))
    if institution is None and setting in engine.SCHOOL_SETTINGS:
        institution = draw(institutions)
    return FundingFacts(
        course_identifier=draw(st.sampled_from(COURSES)),
        cohort_funded=draw(st.booleans()),
        inside_catchment=draw(st.booleans()),
        previously_funded=draw(st.booleans()),
        work_setting=setting,
        kind_of_nursery=draw(maybe_known),
        employment_type=draw(maybe_known),
        approved_itt_provider=draw(st.booleans()),
        new_headteacher=draw(st.booleans()),
        referred_by_return_to_teaching_adviser=draw(st.booleans()),
        institution=institution,
    )


@PURE
@given(
    facts=well_typed_facts(),
    rules=st.sampled_from(sorted(RULE_SETS)),
    bursary=st.sampled_from([None, True, False]),
)
def test_any_facts_give_an_outcome_with_a_reason_or_say_what_is_wrong(facts, rules, bursary):
    try:
        outcome = funding_evaluate(facts, rules=rules, bursary=bursary)
    except FundingError as error:  # only a course the rule set does not offer
        assert "has no course" in str(error)
    else:
        assert outcome.status in REASONS
        assert outcome.reason.strip()
        assert outcome.funded == (outcome.status in engine.FUNDED_CODES)
        institution = facts.institution
        if institution is not None and institution.unknown_lists:
            # Lists not in yet only ever hold back a refusal: with them known (as given), the
            # outcome is the same unless it is provisional, which waits on unknown lists only.
            known = dataclasses.replace(
                facts, institution=dataclasses.replace(institution, unknown_lists=frozenset())
            )
            settled = funding_evaluate(known, rules=rules, bursary=bursary)
            if outcome.provisional:
                assert not settled.funded
                assert set(outcome.waiting_on) <= institution.unknown_lists
                assert "not funded" not in outcome.reason.lower()
            else:
                assert outcome == settled


# JSON values of any shape, and objects with the facts' own names holding any of them.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
FACT_NAMES = [
    "course_identifier",
    "cohort",
    "cohort_funded",
    "inside_catchment",
    "previously_funded",
    "work_setting",
    "kind_of_nursery",
    "employment_type",
    "approved_itt_provider",
    "new_headteacher",
    "referred_by_return_to_teaching_adviser",
]
INSTITUTION_NAMES = [
    "kind",
    "urn",
    "ukprn",
    "establishment_type_code",
    "number_of_pupils",
    "phase_name",
    "on_rise_list",
    "on_pp50_school_list",
    "unknown_lists",
]
json_facts = st.fixed_dictionaries(
    {"course_identifier": st.one_of(st.sampled_from(COURSES), json_values)},
    optional={
        **{name: st.one_of(json_values, maybe_known, st.booleans()) for name in FACT_NAMES[1:]},
        "institution": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {}, optional={name: st.one_of(json_values, known) for name in INSTITUTION_NAMES}
            ),
        ),
    },
)


@PURE
@given(data=st.one_of(json_facts, json_values), rules=st.sampled_from(sorted(RULE_SETS)))
def test_facts_from_any_json_give_an_outcome_or_a_funding_error(data, rules):
    try:
        outcome = funding_evaluate(facts_from_json(data), rules=rules)
    except FundingError as error:
        assert str(error).strip()
    else:
        assert outcome.reason.strip()


# ---- funding_check ----

lines = st.one_of(
    json_facts.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=30).map(lambda text: text.replace("\n", " ").replace("\r", " ")),
    st.sampled_from(["", "{", "[" * 5000, '{"course_identifier": "npq-headship"']).map(str),
)


def _check(path, rules="2026"):
    out = StringIO()
    try:
        call_command("funding_check", "--rules", rules, "--input", str(path), stdout=out)
    except CommandError as error:
        return out.getvalue().splitlines(), str(error)
    return out.getvalue().splitlines(), None


@pytest.mark.django_db
@WITH_DATABASE
@given(facts=st.lists(lines, min_size=1, max_size=10), junk=st.binary(max_size=20))
@example(facts=["[" * 5000], junk=b"")  # too deeply nested for json: a RecursionError
@example(facts=['{"course_identifier": "npq-headship"}'], junk=b"\xff\xfe\x80")  # not UTF-8
# make fuzz: a kind that is a list, on an institution to look up, was a TypeError.
@example(
    facts=[
        '{"course_identifier": "npq-additional-support-offer", "cohort": null, '
        '"institution": {"kind": [null], "urn": "a_school"}}'
    ],
    junk=b"",
)
def test_funding_check_answers_every_line_and_writes_nothing(tmp_path, facts, junk):
    path = tmp_path / "facts.jsonl"
    data = "\n".join(facts).encode() + b"\n"
    if junk:
        data += junk.replace(b"\n", b" ") + b"\n"
    path.write_bytes(data)
    before = FundingDecision.objects.count()

    output, error = _check(path)

    assert len(output) == data.count(b"\n")  # one answer a line, in step
    for line in output:
        answer = json.loads(line)
        if "error" in answer:
            assert answer["error"].strip()
            assert "could not be evaluated" not in answer["error"]  # a named problem
        else:
            assert answer["reason"].strip()
    if any("error" in json.loads(line) for line in output):
        assert error and "could not be evaluated" in error
    assert FundingDecision.objects.count() == before


@pytest.mark.django_db
def test_funding_check_says_so_when_its_input_file_cannot_be_read(tmp_path):
    # It raised FileNotFoundError, a traceback, for a mistyped path.
    with pytest.raises(CommandError, match="Cannot read .*missing.jsonl"):
        call_command("funding_check", "--rules", "2026", "--input", str(tmp_path / "missing.jsonl"))


@pytest.mark.django_db
def test_a_line_that_is_not_utf8_is_answered_and_the_rest_are_evaluated(tmp_path):
    # Reading the file as UTF-8 text raised UnicodeDecodeError for the whole run.
    path = tmp_path / "facts.jsonl"
    path.write_bytes(b'{"course_identifier": "npq-h\xe9adship"}\n{"course_identifier": 1}\n')

    output, error = _check(path)

    assert json.loads(output[0]) == {"error": "This line is not UTF-8 text."}
    assert json.loads(output[1])["error"].startswith("course_identifier must be text")
    assert error == "2 of 2 lines could not be evaluated."


# ---- funding_decide ----


class _RolledBack(Exception):
    pass


@pytest.mark.django_db
@WITH_DATABASE
@given(facts=json_facts, rules=st.sampled_from([*sorted(RULE_SETS), "1999", ""]))
@example(  # make fuzz: the same TypeError, out of funding_decide
    facts={"course_identifier": "npq-headship", "institution": {"kind": [None], "urn": "a_school"}},
    rules="2026",
)
def test_funding_decide_records_a_decision_or_refuses_and_records_nothing(facts, rules):
    try:
        with transaction.atomic():
            before = FundingDecision.objects.count()
            try:
                decision = funding_decide(subject="property", facts=facts, rules=rules)
            except ValidationError as error:
                assert error.messages[0].strip()
                assert FundingDecision.objects.count() == before
            else:
                assert decision.reason.strip()
                assert FundingDecision.objects.count() == before + 1
            raise _RolledBack
    except _RolledBack:
        pass


# ---- Hypothesis profiles (conftest.py) ----

COUNTS = """
import json
import django

django.setup()
import conftest  # noqa: F401  loads the profile, as pytest does before the tests
from hypothesis import settings
from funding.tests import test_funding_properties
from participants.tests import test_form_properties, test_import_properties

objects = [
    test_funding_properties.PURE,
    test_funding_properties.WITH_DATABASE,
    test_form_properties.PAGES,
    test_import_properties.SERVICE,
    test_import_properties.VIEW,
]
print(json.dumps({
    "derandomize": settings.default.derandomize,
    "database": settings.default.database is not None,
    "max_examples": [each.max_examples for each in objects],
    "each_derandomize": [each.derandomize for each in objects],
}))
"""


def _profile(name: str | None) -> dict:
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    env = {key: value for key, value in os.environ.items() if key != "HYPOTHESIS_PROFILE"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "npq_portal.settings")
    if name:
        env["HYPOTHESIS_PROFILE"] = name
    result = subprocess.run(
        [sys.executable, "-c", COUNTS],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_make_test_draws_the_same_examples_every_run_and_make_fuzz_draws_more_at_random():
    default, ci, fuzz = _profile(None), _profile("ci"), _profile("fuzz")

    assert default == ci
    assert ci["derandomize"] and not ci["database"]
    assert all(ci["each_derandomize"])
    assert not fuzz["derandomize"] and not any(fuzz["each_derandomize"])
    assert all(
        more > fewer for more, fewer in zip(fuzz["max_examples"], ci["max_examples"], strict=True)
    )
