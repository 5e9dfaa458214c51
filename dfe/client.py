"""The one module that reaches DfE's Lead Provider API v3.

Every request is checked against DfE's patched spec (`dfe.spec`) before it is sent; one that
does not match raises `DfeRequestInvalid` and never leaves the portal. DfE's error bodies become
the exceptions below, each with a message staff can read. Log lines carry the method, path
(whose only ids are DfE's), status and duration: never the token, a header or a body.
"""

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from npq_portal.numbers import whole_number
from npq_portal.words import word

from .contract import request_errors

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_ATTEMPTS = 3  # the first try and two retries
MAX_WAIT_SECONDS = 60.0  # a longer Retry-After is left to the caller (a task retries later)
PER_PAGE = 300  # DfE's guidance: pages of 300
MAX_PAGES = 10_000  # a server that never sends an empty page must not loop for ever
# DfE acts on each of these: sent again, a POST makes a second record (or a 422 "already been
# submitted") and a PUT (void, defer, resume, withdraw) a 422 ("already been voided", "already
# deferred"), so neither is repeated when DfE may have received it.
NOT_REPEATABLE = ("POST", "PUT")

# What a request does, for staff: "DfE refused the declaration: …".
WHAT = [
    ("POST", r"/npq-applications/[^/]+/accept", "the acceptance of the application"),
    ("POST", r"/npq-applications/[^/]+/reject", "the rejection of the application"),
    ("PUT", r"/npq-applications/[^/]+/change-funded-place", "the change of funded place"),
    ("POST", r"/participant-declarations", "the declaration"),
    ("PUT", r"/participant-declarations/[^/]+/void", "voiding the declaration"),
    ("PUT", r"/participant-declarations/[^/]+/change-delivery-partner", "the delivery partner"),
    ("PUT", r"/participants/npq/[^/]+/defer", "the deferral"),
    ("PUT", r"/participants/npq/[^/]+/resume", "the resumption"),
    ("PUT", r"/participants/npq/[^/]+/withdraw", "the withdrawal"),
    ("PUT", r"/participants/npq/[^/]+/change-schedule", "the change of schedule"),
    ("POST", r"/participants/npq/[^/]+/outcomes", "the outcome"),
]


class DfeError(Exception):
    """Talking to DfE failed; the message says why in words staff can act on."""

    def __init__(self, message: str, *, status: int | None = None, errors: list | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or []  # DfE's own `errors` list, when it sent one


class DfeRequestInvalid(DfeError):
    """The portal built a request DfE's spec does not allow; it was not sent."""


class DfeUnauthorised(DfeError):
    """401: DfE did not accept the token."""


class DfeForbidden(DfeError):
    """403: the record belongs to another lead provider."""


class DfeNotFound(DfeError):
    """404: DfE has no such record for this lead provider."""


class DfeBadRequest(DfeError):
    """400: DfE could not read the request."""


class DfeRefused(DfeError):
    """422: DfE read the request and refused it; `errors` holds each attribute and reason."""


class DfeGone(DfeError):
    """410: the participant id was retired; `participant_id_changes` says what replaced it."""

    def __init__(self, message: str, *, participant_id_changes: list, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.participant_id_changes = participant_id_changes


class DfeRateLimited(DfeError):
    """429 on every attempt, or DfE asked for a longer wait than the client will sleep."""

    def __init__(self, message: str, *, retry_after: float | None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class DfeUnavailable(DfeError):
    """DfE failed (5xx) or could not be reached, on every attempt."""


class DfeTimeout(DfeError):
    """A POST or PUT got no answer: DfE may have acted on it. Look the record up before sending
    again (DfE has no idempotency key, and answers a repeated void or status change with 422)."""


def _what(method: str, path: str) -> str:
    for verb, pattern, words in WHAT:
        if method == verb and re.search(pattern + "$", path):
            return words
    return "the request"


def _error_details(errors: list) -> str:
    """DfE's errors in words: each attribute (its `title`) named as staff read it, then DfE's
    reason; an error about the request as a whole ("base") is its reason alone."""
    parts = []
    for error in errors:
        if isinstance(error, dict):
            title, detail = str(error.get("title") or ""), str(error.get("detail") or "")
            if title == "base":
                title = ""
            title = word("dfe_attribute", title)
            parts.append(f"{title}: {detail}" if title and detail else title or detail)
    return "; ".join(part for part in parts if part)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds DfE asks us to wait, from Retry-After (seconds or an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    seconds = whole_number(value)
    if seconds is not None:
        return float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT even when it does not say so
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class CallRecord:
    """One request as the sync log keeps it: never a header or a body, only DfE's error."""

    method: str
    path: str
    query: str
    status: int | None
    failure: str  # "timeout" or "unreachable" when DfE did not answer, "not_sent" if not asked
    duration_ms: int
    attempt: int
    error: str
    ids: str = ""  # DfE's ids a path does not show: the participant sent, the record made


UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# The ids a request's or answer's body may carry (DfE's own UUIDs, never personal data), and
# what the sync log calls them.
BODY_IDS = {"participant_id": "participant", "application_id": "application"}


def _body_ids(request: httpx.Request, response: httpx.Response | None) -> str:
    """DfE's ids in the request's attributes and the answer's record, e.g. the participant a
    declaration is for and the declaration DfE made, as "participant …, made …"."""
    found = []
    for message, is_request in ((request, True), (response, False)):
        if message is None or not message.content:
            continue
        try:
            data = json.loads(message.content).get("data")
        except (ValueError, AttributeError):
            continue
        if not isinstance(data, dict):
            continue
        attributes = data.get("attributes") if isinstance(data.get("attributes"), dict) else {}
        for key, name in BODY_IDS.items():
            value = attributes.get(key)
            if isinstance(value, str) and UUID_TEXT.match(value):
                entry = f"{name} {value}"
                if entry not in found:
                    found.append(entry)
        if not is_request and isinstance(data.get("id"), str) and UUID_TEXT.match(data["id"]):
            found.append(f"made {data['id']}")
    return ", ".join(found)


def _response_error(response: httpx.Response) -> str:
    """DfE's error from a response that is one, in its own words; "" for a success."""
    if response.status_code < 400:
        return ""
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    return _error_details(errors) or str(body.get("error") or response.reason_phrase)


class DfeClient:
    """DfE's Lead Provider API v3 for one lead provider's token.

    `base_url` is the host (`https://sandbox.register-npq.education.gov.uk`; a trailing
    `/api/v3` is accepted too); paths are the spec's (`/api/v3/npq-applications`). `transport`
    is for tests (`httpx.MockTransport`), `sleep` makes backing off instant in them.

    Retries: a 429 is retried after Retry-After (or a backoff) whatever the method, as DfE did
    nothing. A 5xx, a timeout or a dropped connection is retried for GET. POST and PUT are
    retried only when DfE answered 500 or 503 or the connection was never made: a POST or PUT
    that timed out, lost its connection or got a 502/504 from a gateway raises `DfeTimeout` at
    once, because DfE may have acted on it. DfE's PUTs are not idempotent: a void, defer,
    resume or withdraw sent twice is answered 422 ("This declaration has already been voided.",
    "The participant is already deferred"), so repeating one whose answer was lost would turn
    a change DfE made into a refusal. The caller looks the record up before sending again.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
        timeout: httpx.Timeout = TIMEOUT,
        on_call: Callable[[CallRecord], None] | None = None,
        min_interval: float = 0.0,
    ):
        base_url = base_url.rstrip("/").removesuffix("/api/v3")
        parts = urlsplit(base_url)
        if parts.scheme != "https" and parts.hostname not in {
            "localhost",
            "127.0.0.1",
            "testserver",
        }:
            raise ValueError(
                "DfE's API must be reached over https, or the token would travel in clear."
            )
        if not token:
            raise ValueError("A DfE API token is needed.")
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._on_call = on_call
        self._min_interval = min_interval
        self._last_sent = 0.0
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<DfeClient {self._http.base_url}>"  # never the token

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "DfeClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One resource or one page, as DfE's parsed JSON."""
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._request("POST", path, body=body)

    def put(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._request("PUT", path, body=body)

    def list_pages(
        self, path: str, params: dict[str, Any] | None = None, *, per_page: int = PER_PAGE
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's `data` in turn, until DfE sends an empty page (it sends no totals).

        `params` are the query's other parameters, e.g. `{"filter[updated_since]": …}`.
        """
        for page in range(1, MAX_PAGES + 1):
            query = {**(params or {}), "page[page]": page, "page[per_page]": per_page}
            data = self.get(path, query).get("data") or []
            if not data:
                return
            yield data
        raise DfeError(f"DfE sent more than {MAX_PAGES} pages of {path}; stopped reading.")

    def _request(
        self, method: str, path: str, *, params: dict | None = None, body: dict | None = None
    ) -> dict[str, Any]:
        request = self._http.build_request(method, path, params=params, json=body)
        what = _what(method, path)
        errors = request_errors(request)
        if errors:
            logger.warning(
                "DfE %s %s not sent: it does not match DfE's spec: %s",
                method,
                path,
                "; ".join(errors),
            )
            # The sync log keeps the check's details for whoever looks into it; staff read a sentence.
            self._log(request, "not_sent", time.monotonic(), 1, error="; ".join(errors))
            raise DfeRequestInvalid(
                f"The portal did not send {what} to DfE: it does not fit DfE's API; the sync "
                "log has the details."
            )

        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            self._pace()
            started = time.monotonic()
            try:
                response = self._http.send(request)
            except httpx.TimeoutException as error:
                self._log(request, "timeout", started, attempt)
                if method in NOT_REPEATABLE and not isinstance(error, httpx.ConnectTimeout):
                    raise DfeTimeout(
                        f"DfE did not answer {what} in time; it may have been recorded. "
                        "Look it up at DfE before sending it again."
                    ) from None
                if last:
                    raise DfeUnavailable(f"DfE did not answer {what} in time.") from None
                self._sleep(2 ** (attempt - 1))
                continue
            except httpx.TransportError as error:
                self._log(request, "unreachable", started, attempt)
                if method in NOT_REPEATABLE and not isinstance(error, httpx.ConnectError):
                    raise DfeTimeout(
                        f"The connection to DfE dropped during {what}; it may have been "
                        "recorded. Look it up at DfE before sending it again."
                    ) from None
                if last:
                    raise DfeUnavailable(f"DfE could not be reached for {what}.") from None
                self._sleep(2 ** (attempt - 1))
                continue

            status = response.status_code
            self._log(request, status, started, attempt, _response_error(response), response)
            if status == 429:
                wait = _retry_after(response)
                if last or (wait is not None and wait > MAX_WAIT_SECONDS):
                    raise DfeRateLimited(
                        f"DfE is limiting the portal's requests, so {what} was not sent; "
                        "send it again later.",
                        status=status,
                        retry_after=wait,
                    )
                self._sleep(wait if wait is not None else 2 ** (attempt - 1))
                continue
            if status >= 500:
                if method in NOT_REPEATABLE and status in {502, 504}:
                    raise DfeTimeout(
                        f"DfE's gateway gave up on {what} ({status}); it may have been recorded. "
                        "Look it up at DfE before sending it again.",
                        status=status,
                    )
                if last:
                    raise DfeUnavailable(
                        f"DfE failed to handle {what} ({status}) {attempt} times; "
                        "send it again later.",
                        status=status,
                    )
                self._sleep(2 ** (attempt - 1))
                continue
            return self._parse(response, method=method, path=path, what=what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pace(self) -> None:
        """Space requests `min_interval` apart: DfE allows 1,000 in 5 minutes a token."""
        if self._min_interval:
            wait = self._last_sent + self._min_interval - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last_sent = time.monotonic()

    def _log(
        self,
        request: httpx.Request,
        status: int | str,
        started: float,
        attempt: int,
        error: str = "",
        response: httpx.Response | None = None,
    ) -> None:
        duration_ms = round((time.monotonic() - started) * 1000)
        path = request.url.path
        logger.info("DfE %s %s %s %d ms", request.method, path, status, duration_ms)
        if self._on_call is not None:
            self._on_call(
                CallRecord(
                    method=request.method,
                    path=path,
                    query=request.url.query.decode(),
                    status=status if isinstance(status, int) else None,
                    failure="" if isinstance(status, int) else status,
                    duration_ms=duration_ms,
                    attempt=attempt,
                    error=error,
                    ids=_body_ids(request, response) if request.method != "GET" else "",
                )
            )

    def _parse(
        self, response: httpx.Response, *, method: str, path: str, what: str
    ) -> dict[str, Any]:
        status = response.status_code
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if 200 <= status < 300:
            return body

        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        details = _error_details(errors) or body.get("error") or response.reason_phrase
        if status == 401:
            raise DfeUnauthorised(
                f"DfE did not accept the portal's API token ({details}). "
                "Check the token in the DfE connection settings.",
                status=status,
            )
        if status == 403:
            raise DfeForbidden(
                f"DfE refused {what}: it belongs to another lead provider ({details}).",
                status=status,
                errors=errors,
            )
        if status == 404:
            raise DfeNotFound(
                "DfE has no such record (the application, participant or declaration may have "
                "been removed).",
                status=status,
            )
        if status == 410:
            changes = [
                change for error in errors for change in error.get("participant_id_changes", [])
            ]
            raise DfeGone(
                f"DfE retired this participant id: {details}.",
                status=status,
                errors=errors,
                participant_id_changes=changes,
            )
        if status == 422:
            raise DfeRefused(f"DfE refused {what}: {details}", status=status, errors=errors)
        if status == 400:
            raise DfeBadRequest(
                f"DfE could not read {what}: {details}", status=status, errors=errors
            )
        raise DfeError(f"DfE answered {what} with {status}: {details}", status=status)
