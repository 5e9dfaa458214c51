"""The client pages, backs off, retries within bounds, speaks DfE's errors in words, hides the token."""

import email.utils
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from dfe.client import (
    DfeClient,
    DfeForbidden,
    DfeGone,
    DfeNotFound,
    DfeRateLimited,
    DfeRefused,
    DfeTimeout,
    DfeUnauthorised,
    DfeUnavailable,
)

from .helpers import (
    APPLICATION_ID,
    DECLARATION_ID,
    PARTICIPANT_ID,
    TOKEN,
    Recorder,
    declaration_body,
)

APPLICATIONS = "/api/v3/npq-applications"
DECLARATIONS = "/api/v3/participant-declarations"


def _page(*ids):
    return httpx.Response(
        200, json={"data": [{"id": id, "type": "npq_application", "attributes": {}} for id in ids]}
    )


def test_paging_asks_page_after_page_until_an_empty_one():
    recorder = Recorder(_page("a", "b"), _page("c"), _page())

    pages = list(
        recorder.client().list_pages(
            APPLICATIONS, {"filter[updated_since]": "2026-12-01T06:00:00Z"}, per_page=2
        )
    )

    assert [[item["id"] for item in page] for page in pages] == [["a", "b"], ["c"]]
    assert [dict(request.url.params) for request in recorder.requests] == [
        {
            "filter[updated_since]": "2026-12-01T06:00:00Z",
            "page[page]": str(page),
            "page[per_page]": "2",
        }
        for page in (1, 2, 3)
    ]


def test_a_429_is_retried_once_after_the_wait_dfe_asks_for():
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "7"}, text="Retry later\n"),
        httpx.Response(200, json={"data": {"id": APPLICATION_ID}}),
    )

    answer = recorder.client().get(f"{APPLICATIONS}/{APPLICATION_ID}")

    assert answer == {"data": {"id": APPLICATION_ID}}
    assert len(recorder.requests) == 2
    assert recorder.sleeps == [7.0]


def test_a_429_whose_retry_after_is_a_date_waits_until_then():
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": later}), _page())

    recorder.client().get(APPLICATIONS)

    assert len(recorder.requests) == 2
    assert 25 < recorder.sleeps[0] <= 30


def test_a_429_asking_for_a_long_wait_is_left_to_the_caller():
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "300"}))

    with pytest.raises(DfeRateLimited, match="limiting the portal's requests") as raised:
        recorder.client().post(DECLARATIONS, declaration_body())

    assert raised.value.retry_after == 300
    assert len(recorder.requests) == 1
    assert recorder.sleeps == []


def test_a_5xx_on_a_read_is_retried_a_bounded_number_of_times():
    recorder = Recorder(*[httpx.Response(500, json={"error": "Internal server error"})] * 5)

    with pytest.raises(DfeUnavailable, match=r"DfE failed to handle the request \(500\) 3 times"):
        recorder.client().get(APPLICATIONS)

    assert len(recorder.requests) == 3
    assert recorder.sleeps == [1, 2]


def test_a_timeout_on_a_read_is_retried():
    recorder = Recorder(httpx.ReadTimeout("slow"), _page())

    assert recorder.client().get(APPLICATIONS) == {"data": []}
    assert len(recorder.requests) == 2


def _post_declaration(client):
    return client.post(DECLARATIONS, declaration_body())


def _void_declaration(client):
    return client.put(f"{DECLARATIONS}/{DECLARATION_ID}/void")


# DfE acts on a POST and on a PUT alike: a void, defer, resume or withdraw sent again is
# answered 422 ("This declaration has already been voided."), so neither is repeated once DfE
# may have received it; the caller looks the record up first.
SENDS = pytest.mark.parametrize("send", [_post_declaration, _void_declaration], ids=["POST", "PUT"])


@SENDS
@pytest.mark.parametrize(
    "lost",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("Server disconnected")],
    ids=["timeout", "dropped"],
)
def test_a_send_whose_answer_was_lost_is_not_sent_again(send, lost):
    recorder = Recorder(lost, httpx.Response(200, json={"data": {}}))

    with pytest.raises(DfeTimeout, match="Look it up at DfE before sending it again"):
        send(recorder.client())

    assert len(recorder.requests) == 1


@SENDS
def test_a_send_that_a_gateway_gave_up_on_is_not_sent_again(send):
    recorder = Recorder(httpx.Response(504), httpx.Response(200, json={"data": {}}))

    with pytest.raises(DfeTimeout, match="may have been recorded"):
        send(recorder.client())

    assert len(recorder.requests) == 1


@SENDS
@pytest.mark.parametrize(
    "first",
    [httpx.ConnectError("Connection refused"), httpx.Response(503), httpx.Response(500)],
    ids=["never-reached", "503", "500"],
)
def test_a_send_dfe_never_received_or_failed_is_tried_again(send, first):
    recorder = Recorder(first, httpx.Response(200, json={"data": {"id": DECLARATION_ID}}))

    assert send(recorder.client()) == {"data": {"id": DECLARATION_ID}}

    assert len(recorder.requests) == 2
    assert recorder.sleeps == [1]


def test_a_422_becomes_a_refusal_in_dfes_words():
    recorder = Recorder(
        httpx.Response(
            422,
            json={
                "errors": [
                    {
                        "title": "declaration_date",
                        "detail": "The '#/declaration_date' value cannot be a future date. "
                        "Check the date and try again.",
                    },
                    {
                        "title": "base",
                        "detail": "A declaration has already been submitted that will be, or "
                        "has been, paid for this event",
                    },
                ]
            },
        )
    )

    with pytest.raises(
        DfeRefused,
        match=r"^DfE refused the declaration: Declaration date: The '#/declaration_date' value "
        r"cannot be a future date\. Check the date and try again\.; A declaration has "
        r"already been submitted",
    ) as raised:
        recorder.client().post(DECLARATIONS, declaration_body())

    assert raised.value.status == 422
    assert [error["title"] for error in raised.value.errors] == ["declaration_date", "base"]
    assert len(recorder.requests) == 1


def test_a_401_says_the_token_was_not_accepted():
    recorder = Recorder(httpx.Response(401, json={"error": "HTTP Token: Access denied"}))

    with pytest.raises(
        DfeUnauthorised,
        match=r"DfE did not accept the portal's API token \(HTTP Token: Access denied\)\. "
        "Check the token",
    ):
        recorder.client().get(APPLICATIONS)

    assert len(recorder.requests) == 1


def test_404_403_and_410_become_their_own_errors():
    recorder = Recorder(
        httpx.Response(404, json={"error": "Resource not found"}),
        httpx.Response(
            403, json={"errors": [{"title": "Forbidden", "detail": "Cannot modify declaration"}]}
        ),
        httpx.Response(
            410,
            json={
                "errors": [
                    {
                        "title": "Participant ID has been changed",
                        "detail": "The ID has changed",
                        "participant_id_changes": [
                            {"from_participant_id": PARTICIPANT_ID, "to_participant_id": "new"}
                        ],
                    }
                ]
            },
        ),
    )
    client = recorder.client()

    with pytest.raises(DfeNotFound) as not_found:
        client.get(f"{APPLICATIONS}/{APPLICATION_ID}")
    assert str(not_found.value) == (
        "DfE has no such record (the application, participant or declaration may have been "
        "removed)."
    )
    assert APPLICATION_ID not in str(not_found.value)
    with pytest.raises(DfeForbidden, match="voiding the declaration: it belongs to another"):
        client.put(f"{DECLARATIONS}/{APPLICATION_ID}/void")
    with pytest.raises(DfeGone, match="retired this participant id") as raised:
        client.get(f"/api/v3/participants/npq/{PARTICIPANT_ID}")

    assert raised.value.participant_id_changes[0]["to_participant_id"] == "new"


def test_the_token_is_sent_as_a_bearer_header():
    recorder = Recorder(_page())

    recorder.client().get(APPLICATIONS)

    assert recorder.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_token_never_appears_in_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG)  # every logger: the client's, httpx's, httpcore's
    recorder = Recorder(
        _page(),
        httpx.Response(401, json={"error": "HTTP Token: Access denied"}),
        httpx.Response(422, json={"errors": [{"title": "base", "detail": "No"}]}),
        httpx.ReadTimeout("slow"),
        *[httpx.Response(503)] * 3,
    )
    client = recorder.client()
    raised = []

    client.get(APPLICATIONS, {"filter[updated_since]": "2026-12-01T06:00:00Z"})
    for call in (
        lambda: client.get(APPLICATIONS),
        lambda: client.post(DECLARATIONS, declaration_body()),
        lambda: client.post(DECLARATIONS, declaration_body()),
        lambda: client.get(APPLICATIONS),
        lambda: client.post(DECLARATIONS, declaration_body(declaration_type="begun")),
    ):
        with pytest.raises(Exception) as error:
            call()
        raised.append(error.value)

    assert len(caplog.records) >= 8
    assert "DfE GET /api/v3/npq-applications 200" in caplog.text
    assert TOKEN not in caplog.text
    assert all(TOKEN not in str(error) and TOKEN not in repr(error) for error in raised)
    assert TOKEN not in repr(client)


def test_the_token_is_never_sent_over_plain_http():
    with pytest.raises(ValueError, match="https"):
        DfeClient("http://sandbox.register-npq.education.gov.uk", TOKEN)


def test_the_client_imports_without_django_settings():
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"
    }

    result = subprocess.run(
        [sys.executable, "-c", "import dfe.client"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("title", "said"),
    [
        ("participant_id", "DfE refused the declaration: Participant: Not found."),
        ("funded_place", "DfE refused the declaration: Funded place: Not found."),
        ("has_passed", "DfE refused the declaration: Passed: Not found."),
        ("state", "DfE refused the declaration: Outcome: Not found."),
        ("base", "DfE refused the declaration: Not found."),
        ("some_new_attribute", "DfE refused the declaration: Some new attribute: Not found."),
    ],
)
def test_dfes_attribute_names_are_said_in_words(title, said):
    recorder = Recorder(
        httpx.Response(422, json={"errors": [{"title": title, "detail": "Not found."}]})
    )

    with pytest.raises(DfeRefused) as refused:
        recorder.client().post(DECLARATIONS, declaration_body())

    assert str(refused.value) == said
    assert refused.value.errors == [{"title": title, "detail": "Not found."}]
