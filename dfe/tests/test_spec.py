import json

from openapi_spec_validator import validate

from dfe.spec import spec_load, spec_patched


def _boolean_required_in_schemas(node, in_schema=False):
    if isinstance(node, dict):
        found = int(in_schema and isinstance(node.get("required"), bool))
        for key, value in node.items():
            if key not in {"example", "examples", "enum", "default"}:
                found += _boolean_required_in_schemas(value, in_schema or key == "schema")
        return found
    if isinstance(node, list):
        return sum(_boolean_required_in_schemas(item, in_schema) for item in node)
    return 0


def test_the_patched_spec_is_valid_openapi():
    validate(spec_patched())


def test_the_vendored_spec_is_left_as_dfe_wrote_it():
    spec = spec_load()

    assert spec["info"]["title"] == "NPQ Registration API"
    assert (
        _boolean_required_in_schemas(spec["paths"])
        + sum(
            _boolean_required_in_schemas(schema, True)
            for schema in spec["components"]["schemas"].values()
        )
        == 51
    )


def test_boolean_required_is_gone_from_schemas_but_kept_on_parameters():
    spec = spec_patched()
    accept = spec["paths"]["/api/v3/npq-applications/{id}/accept"]["post"]

    assert _boolean_required_in_schemas(spec["paths"]) == 0
    assert all(
        _boolean_required_in_schemas(schema, True) == 0
        for schema in spec["components"]["schemas"].values()
    )
    assert accept["parameters"][0]["required"] is True


def test_declarations_accept_both_spellings_of_their_states_and_a_boolean_has_passed():
    attributes = spec_patched()["components"]["schemas"]["ParticipantDeclaration"]["properties"][
        "attributes"
    ]["properties"]

    assert {"awaiting_clawback", "awaiting-clawback", "clawed_back", "clawed-back"} <= set(
        attributes["state"]["enum"]
    )
    assert attributes["has_passed"]["type"] == "boolean"
    assert attributes["has_passed"]["nullable"] is True


def test_no_example_keeps_the_statement_id_that_is_not_a_uuid():
    assert "cd3a12347-" not in json.dumps(spec_patched())


def test_every_operation_describes_the_errors_dfe_sends():
    spec = spec_patched()

    for path, path_item in spec["paths"].items():
        for method, operation in path_item.items():
            assert {"400", "403", "410", "422", "429", "500"} <= set(operation["responses"]), (
                f"{method} {path}"
            )
    assert "200" in spec["paths"]["/api/v3/delivery-partners/{id}"]["get"]["responses"]


def test_every_filter_and_page_is_an_exploded_deep_object():
    spec = spec_patched()

    for path_item in spec["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in {"filter", "page"}:
                    assert parameter["style"] == "deepObject"
                    assert parameter["explode"] is True


def test_patching_leaves_the_loaded_spec_alone():
    spec_patched()

    assert spec_load()["servers"] == [{"url": "http://0.0.0.0:3000"}]


def test_every_nullable_enum_lists_null_among_its_values():
    application = spec_patched()["components"]["schemas"]["Application"]
    schedule = application["properties"]["attributes"]["properties"]["schedule_identifier"]
    found = list(_nullable_enums(spec_patched()))
    assert found and all(None in enum for enum in found)
    assert None in schedule["enum"]  # null until the application is accepted
    assert not any(None in enum for enum in _nullable_enums(spec_load()))  # DfE's own copy


def _nullable_enums(node):
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list):
            yield node["enum"]
        for value in node.values():
            yield from _nullable_enums(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nullable_enums(item)


def test_a_completed_declaration_may_leave_out_has_passed_as_dfe_allows_for_ehco_and_aso():
    patched = spec_patched()["components"]["schemas"]["ParticipantDeclarationCompletedRequest"]
    vendored = spec_load()["components"]["schemas"]["ParticipantDeclarationCompletedRequest"]

    assert "has_passed" in vendored["required"]  # DfE's published spec: always
    assert "has_passed" not in patched["required"]
    assert patched["properties"]["has_passed"]["type"] == "boolean"
    assert {"participant_id", "declaration_type", "declaration_date", "course_identifier"} <= set(
        patched["required"]
    )
