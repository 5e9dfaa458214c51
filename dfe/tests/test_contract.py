"""Every request the portal sends DfE matches DfE's (patched) spec; a wrong one is never sent."""

import logging

import httpx
import pytest

from dfe.client import DfeRequestInvalid
from dfe.contract import request_errors, response_errors
from dfe.spec import spec_patched

from .helpers import (
    APPLICATION_ID,
    BASE_URL,
    DECLARATION_ID,
    PARTICIPANT_ID,
    Recorder,
    declaration_body,
)

PORTAL_REQUESTS = {
    "list applications updated since": (
        "GET",
        "/api/v3/npq-applications",
        {"filter[updated_since]": "2026-12-01T06:00:00Z", "page[page]": 2, "page[per_page]": 300},
        None,
    ),
    "list participants updated since": (
        "GET",
        "/api/v3/participants/npq",
        {"filter[updated_since]": "2026-12-01T06:00:00Z", "page[page]": 1},
        None,
    ),
    "look up a participant's declarations": (
        "GET",
        "/api/v3/participant-declarations",
        {"filter[participant_id]": PARTICIPANT_ID},
        None,
    ),
    "list a cohort's statements": ("GET", "/api/v3/statements", {"filter[cohort]": "2025"}, None),
    "list delivery partners": (
        "GET",
        "/api/v3/delivery-partners",
        {"filter[cohort]": "2025"},
        None,
    ),
    "one delivery partner": ("GET", f"/api/v3/delivery-partners/{DECLARATION_ID}", None, None),
    "accept with a funded place": (
        "POST",
        f"/api/v3/npq-applications/{APPLICATION_ID}/accept",
        None,
        {"data": {"type": "npq-application-accept", "attributes": {"funded_place": True}}},
    ),
    "reject": ("POST", f"/api/v3/npq-applications/{APPLICATION_ID}/reject", None, None),
    "change the funded place": (
        "PUT",
        f"/api/v3/npq-applications/{APPLICATION_ID}/change-funded-place",
        None,
        {
            "data": {
                "type": "npq-application-change-funded-place",
                "attributes": {"funded_place": False},
            }
        },
    ),
    "submit a started declaration": (
        "POST",
        "/api/v3/participant-declarations",
        None,
        declaration_body(),
    ),
    "submit a completed declaration": (
        "POST",
        "/api/v3/participant-declarations",
        None,
        declaration_body(declaration_type="completed", has_passed=True),
    ),
    "void a declaration": (
        "PUT",
        f"/api/v3/participant-declarations/{DECLARATION_ID}/void",
        None,
        None,
    ),
    "withdraw with a reason code": (
        "PUT",
        f"/api/v3/participants/npq/{PARTICIPANT_ID}/withdraw",
        None,
        {
            "data": {
                "type": "participant-withdraw",
                "attributes": {
                    "course_identifier": "npq-senior-leadership",
                    "reason": "quality-of-programme-structure-not-suitable.",
                },
            }
        },
    ),
    "send an outcome": (
        "POST",
        f"/api/v3/participants/npq/{PARTICIPANT_ID}/outcomes",
        None,
        {
            "data": {
                "type": "npq-outcome-confirmation",
                "attributes": {
                    "course_identifier": "npq-senior-leadership",
                    "state": "passed",
                    "completion_date": "2026-07-15",
                },
            }
        },
    ),
}


@pytest.fixture(autouse=True)
def _client_log_heard(monkeypatch):
    """The spec check's details go to the client's log: make sure that log is heard, whatever
    an earlier test in the same process did to logging (CI's PostgreSQL pass starts Celery
    workers, which set logging up their own way)."""
    log = logging.getLogger("dfe.client")
    monkeypatch.setattr(log, "disabled", False)
    monkeypatch.setattr(log, "propagate", True)
    monkeypatch.setattr(log, "level", logging.INFO)
    monkeypatch.setattr(logging.root.manager, "disable", logging.NOTSET)


def _send(client, method, path, params, body):
    if method == "GET":
        return client.get(path, params)
    return getattr(client, method.lower())(path, body)


@pytest.mark.parametrize("name", PORTAL_REQUESTS)
def test_each_request_the_portal_sends_matches_dfes_spec(name):
    method, path, params, body = PORTAL_REQUESTS[name]
    recorder = Recorder(httpx.Response(200, json={"data": []}))

    _send(recorder.client(), method, path, params, body)

    (request,) = recorder.requests
    assert request.method == method
    assert request.url.path == path
    assert request_errors(request) == []
    assert recorder.bodies() == [body]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (declaration_body(declaration_type="begun"), "data/attributes"),
        (
            {
                "data": {
                    "type": "participant-declaration",
                    "attributes": {
                        key: value
                        for key, value in declaration_body()["data"]["attributes"].items()
                        if key != "course_identifier"
                    },
                }
            },
            "data/attributes",
        ),
        (
            declaration_body(declaration_type="completed", has_passed="yes"),
            "data/attributes",
        ),
    ],
    ids=["unknown declaration_type", "no course_identifier", "has_passed not a boolean"],
)
def test_a_declaration_the_spec_does_not_allow_is_refused_before_sending(body, reason, caplog):
    recorder = Recorder()
    calls = []

    with pytest.raises(DfeRequestInvalid) as refused:
        recorder.client(on_call=calls.append).post("/api/v3/participant-declarations", body)

    assert str(refused.value) == (
        "The portal did not send the declaration to DfE: it does not fit DfE's API; the sync "
        "log has the details."
    )
    assert reason not in str(refused.value)
    assert reason in caplog.text
    assert [(call.failure, call.status, reason in call.error) for call in calls] == [
        ("not_sent", None, True)
    ]
    assert recorder.requests == []


def test_a_completed_declaration_without_has_passed_is_sent_as_dfe_takes_it_for_ehco():
    """DfE needs no has_passed for EHCO and ASO (DFE_API.md §2.6; dfe/spec.py patch 9)."""
    recorder = Recorder(httpx.Response(200, json={"data": {}}))
    body = declaration_body(
        declaration_type="completed", course_identifier="npq-early-headship-coaching-offer"
    )

    recorder.client().post("/api/v3/participant-declarations", body)

    assert recorder.bodies() == [body]


def test_a_withdrawal_reason_dfe_does_not_know_is_refused_before_sending(caplog):
    recorder = Recorder()
    body = {
        "data": {
            "type": "participant-withdraw",
            "attributes": {"course_identifier": "npq-senior-leadership", "reason": "moved-away"},
        }
    }

    with pytest.raises(DfeRequestInvalid, match="did not send the withdrawal to DfE"):
        recorder.client().put(f"/api/v3/participants/npq/{PARTICIPANT_ID}/withdraw", body)

    assert "'moved-away' is not one of" in caplog.text
    assert recorder.requests == []


def test_a_bad_filter_value_and_an_unknown_path_are_refused_before_sending(caplog):
    recorder = Recorder()
    client = recorder.client()

    with pytest.raises(DfeRequestInvalid, match="it does not fit DfE's API"):
        client.get("/api/v3/participants/npq", {"filter[training_status]": "gone"})
    with pytest.raises(DfeRequestInvalid, match="it does not fit DfE's API"):
        client.get("/api/v3/participants/ecf")

    assert "'gone' is not one of" in caplog.text
    assert "Path not found" in caplog.text
    assert recorder.requests == []


def _void_example() -> dict:
    operation = spec_patched()["paths"]["/api/v3/participant-declarations/{id}/void"]["put"]
    return operation["responses"]["200"]["content"]["application/json"]["examples"]["success"][
        "value"
    ]


@pytest.mark.parametrize(
    ("changes", "valid"),
    [
        ({}, True),
        ({"state": "awaiting-clawback", "has_passed": None}, True),
        ({"state": "clawed_back", "has_passed": False}, True),
        ({"state": "lost"}, False),
        ({"has_passed": "yes"}, False),
    ],
)
def test_declaration_responses_are_checked_against_the_patched_spec(changes, valid):
    body = _void_example()
    body = {
        **body,
        "data": {**body["data"], "attributes": {**body["data"]["attributes"], **changes}},
    }
    request = httpx.Request(
        "PUT",
        f"{BASE_URL}/api/v3/participant-declarations/{DECLARATION_ID}/void",
        headers={"Authorization": "Bearer x"},
    )

    errors = response_errors(request, httpx.Response(200, json=body))

    assert (errors == []) is valid, errors
