"""DfE's Lead Provider API v3 spec, as vendored in `dfe/spec/`, with its known defects patched.

The folder `dfe/spec/` holds data only (no `__init__.py`), so `dfe.spec` is this module.
"""

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_FILE = Path(__file__).resolve().parent / "spec" / "lead-provider-api-v3.yaml"

# The declaration serializer dasherizes `state`; the spec and DfE's guidance use underscores.
DECLARATION_STATES_DASHERIZED = ["awaiting-clawback", "clawed-back"]

# A valid UUID in place of DfE's example `cd3a12347-…`, which has one hex digit too many.
BAD_STATEMENT_ID_EXAMPLE = "cd3a12347-7308-4879-942a-c4a70ced400a"
STATEMENT_ID_EXAMPLE = "cd3a1234-7308-4879-942a-c4a70ced400a"

# Bodies DfE sends that the spec does not describe (DFE_API.md §1, "Error formats").
ERROR_SCHEMAS = {
    # 403 (another provider's declaration), 410 (a retired participant id, with
    # `participant_id_changes` on the error), 400 and 422 share this shape.
    "ErrorsResponse": {
        "description": "One or more errors, each with a title and a detail.",
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "participant_id_changes": {"type": "array", "items": {"type": "object"}},
                    },
                },
            }
        },
    },
    "InternalServerErrorResponse": {
        "description": "DfE's server failed.",
        "type": "object",
        "properties": {"error": {"type": "string", "example": "Internal server error"}},
    },
}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        },
    }


UNDOCUMENTED_RESPONSES = {
    "400": _json("BadRequestResponse", "Bad request (a bad filter or page value)"),
    "403": _json("ErrorsResponse", "Forbidden: another lead provider's record"),
    "410": _json("ErrorsResponse", "Gone: the participant id was retired"),
    "422": _json("UnprocessableEntityResponse", "Unprocessable entity (a bad filter value)"),
    # Rack::Attack's default 429 is plain text with a Retry-After header.
    "429": {"description": "Too many requests: wait for Retry-After seconds"},
    "500": _json("InternalServerErrorResponse", "Internal server error"),
}

DELIVERY_PARTNER_SHOW = {
    "get": {
        "summary": "Retrieve a single Delivery Partner",
        "description": "Routed and implemented by DfE (delivery_partners_controller.rb#show) "
        "but missing from DfE's spec; added by dfe/spec.py.",
        "tags": ["Delivery Partners"],
        "security": [{"api_key": []}],
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"$ref": "#/components/schemas/IDAttribute"},
            }
        ],
        "responses": {
            "200": _json("DeliveryPartnerResponse", "A single Delivery Partner"),
            "401": _json("UnauthorisedResponse", "Unauthorized"),
            "404": _json("NotFoundResponse", "Not found"),
        },
    }
}

# Keys whose values are data, not schemas: never rewritten.
_DATA_KEYS = {"example", "examples", "enum", "default"}


def _strip_boolean_required(node: Any, *, in_schema: bool = False) -> None:
    """Drop `required: true/false` from every schema; OpenAPI 3.0 allows only a list there.

    Parameters and request bodies keep theirs: on them a boolean `required` is right.
    """
    if isinstance(node, dict):
        if in_schema and isinstance(node.get("required"), bool):
            del node["required"]
        for key, value in node.items():
            if key not in _DATA_KEYS:
                _strip_boolean_required(value, in_schema=in_schema or key == "schema")
    elif isinstance(node, list):
        for item in node:
            _strip_boolean_required(item, in_schema=in_schema)


def _replace_bad_statement_id_examples(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if value == BAD_STATEMENT_ID_EXAMPLE:
                node[key] = STATEMENT_ID_EXAMPLE
            else:
                _replace_bad_statement_id_examples(value)
    elif isinstance(node, list):
        for item in node:
            _replace_bad_statement_id_examples(item)


def spec_patch(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of DfE's spec with every known defect (DFE_API.md §6) put right.

    Each step below is one defect; the spec itself is never edited, so a newer copy from DfE
    takes the same patches (a step whose defect DfE fixed does nothing).

    1. `required: true/false` on 51 property schemas is not OpenAPI 3.0 (`required` lists
       names on the parent object): removed. The parents' `required` lists already name what
       DfE needs on requests; on responses DfE's serializers always send those keys.
    2. A declaration's `state` is dasherized by DfE's serializer (`awaiting-clawback`,
       `clawed-back`) while the spec says `awaiting_clawback`: both forms are accepted.
    3. A declaration's `has_passed` is typed as a string; DfE sends true, false or null.
    4. The `statement_id` and `clawback_statement_id` example `cd3a12347-…` is not a UUID
       although the field is `format: uuid`: the examples are corrected (the format stays,
       since DfE's ids are UUIDs), so bodies generated from examples validate.
    5. Responses DfE sends but the spec leaves out (400 and 422 for a bad filter or page,
       403 for another provider's declaration, 410 for a retired participant id, 429 over the
       rate limit, 500) are added to every operation that lacks them, and
       `GET /api/v3/delivery-partners/{id}`, which DfE serves, is added.
    6. The statements `filter` query parameter lacks `style: deepObject` (every other list
       has it), so `filter[cohort]=2025` would not be read as the filter: added. No deepObject
       parameter says `explode: true`, the only form OpenAPI 3.0 defines for deepObject
       (`explode` defaults to false outside `form`), so validators cannot read
       `filter[updated_since]` or `page[page]`: every deepObject parameter gets it.
    7. `servers` is `http://0.0.0.0:3000`, which DfE rewrites at boot: it becomes `/`, so a
       request is matched on its path whatever the connection's base URL.
    8. Enums marked `nullable: true` (an application's `schedule_identifier` until it is
       accepted, `funding_choice`, `ineligible_for_funding_reason`) do not list null among
       their values, so a validator refuses the null DfE sends: null is added to them.
    9. The completed declaration request requires `has_passed`, but DfE's server requires it
       only for leadership and specialist courses: for EHCO and ASO there is no outcome, so
       the portal sends none (DFE_API.md §2.6). `has_passed` is made optional on that request
       (it stays a boolean when given); the portal itself sends it for every other course.
    """
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]

    _strip_boolean_required(spec["paths"])  # 1
    for schema in schemas.values():
        _strip_boolean_required(schema, in_schema=True)

    declaration = schemas["ParticipantDeclaration"]["properties"]["attributes"]["properties"]
    state_enum = declaration["state"]["enum"]  # 2
    state_enum += [state for state in DECLARATION_STATES_DASHERIZED if state not in state_enum]
    declaration["has_passed"] = {  # 3
        "description": "Whether the participant passed (true), failed (false), or null",
        "type": "boolean",
        "nullable": True,
        "example": True,
    }

    _replace_bad_statement_id_examples(spec)  # 4

    schemas.update({name: schema for name, schema in ERROR_SCHEMAS.items() if name not in schemas})
    spec["paths"].setdefault("/api/v3/delivery-partners/{id}", copy.deepcopy(DELIVERY_PARTNER_SHOW))
    for path_item in spec["paths"].values():  # 5
        for operation in path_item.values():
            for status, response in UNDOCUMENTED_RESPONSES.items():
                operation["responses"].setdefault(status, copy.deepcopy(response))

    for parameter in spec["paths"]["/api/v3/statements"]["get"]["parameters"]:  # 6
        if parameter["name"] == "filter":
            parameter["style"] = "deepObject"
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("style") == "deepObject":
                    parameter["explode"] = True

    spec["servers"] = [{"url": "/"}]  # 7
    _null_in_nullable_enums(spec)  # 8

    completed = schemas["ParticipantDeclarationCompletedRequest"]  # 9
    completed["required"] = [name for name in completed["required"] if name != "has_passed"]
    return spec


def _null_in_nullable_enums(node: Any) -> None:
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            enum.append(None)
        for key, value in node.items():
            if key not in _DATA_KEYS:
                _null_in_nullable_enums(value)
    elif isinstance(node, list):
        for item in node:
            _null_in_nullable_enums(item)


def spec_load() -> dict[str, Any]:
    """DfE's spec exactly as vendored."""
    with SPEC_FILE.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


@functools.cache
def spec_patched() -> dict[str, Any]:
    """The vendored spec with `spec_patch` applied, read once a process. Do not mutate it."""
    return spec_patch(spec_load())
