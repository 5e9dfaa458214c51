"""A small stateful fake of DfE's Lead Provider API v3, for tests (DFE_API.md §1, §2).

Use it as an httpx transport handler:

    fake = FakeDfe()
    application_id = fake.add_application(cohort="2025")
    client = DfeClient(BASE_URL, TOKEN, transport=httpx.MockTransport(fake.handle))

It keeps applications, participants (with their enrolments and participant_id_changes),
declarations, outcomes, statements and delivery partners in memory, and enforces the rules
that matter to the portal, answering with DfE's status codes, error shapes and words
(`config/locales/en.yml` in DfE's npq-registration). Every response it sends is checked
against the patched spec (`dfe.contract.response_errors`): one that would not match raises
AssertionError, so the fake cannot drift from DfE's contract.

"Now" is `fake.now` (set it to move time); every call is kept in `fake.calls`.
"""

import json
import pickle
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from dfe.contract import response_errors

TOKEN = "lp-token-7f3a9c2e-never-log-me"
LEAD_PROVIDER_NAME = "Ambition Institute"

DECLARATION_TYPES = ("started", "retained-1", "retained-2", "completed")
BILLABLE_STATES = ("submitted", "eligible", "payable", "paid")
VOIDABLE_STATES = ("submitted", "eligible", "payable", "ineligible")
NO_OUTCOME_COURSES = ("npq-early-headship-coaching-offer", "npq-additional-support-offer")
CAPPED_FROM_COHORT = 2024  # funded_place must be given from here on
DELIVERY_PARTNER_REQUIRED_FROM = 2024
MAX_PER_PAGE = 3000
DEFAULT_PER_PAGE = 100
DEFER_REASONS = ("bereavement", "long-term-sickness", "parental-leave", "career-break", "other")
WITHDRAW_REASONS = (
    "insufficient-capacity-to-undertake-programme",
    "personal-reason-health-or-pregnancy-related",
    "personal-reason-moving-school",
    "personal-reason-other",
    "insufficient-capacity",
    "change-in-developmental-or-personal-priorities",
    "change-in-school-circumstances",
    "change-in-school-leadership",
    "quality-of-programme-structure-not-suitable.",
    "quality-of-programme-content-not-suitable",
    "quality-of-programme-facilitation-not-effective",
    "quality-of-programme-accessibility",
    "quality-of-programme-other",
    "programme-not-appropriate-for-role-and-cpd-needs",
    "started-in-error",
    "expected-commitment-unclear",
    "assessment-requirements-not-met",
    "change-in-career",
    "disengaged-and-unresponsive",
    "non-payment-of-invoice",
    "other",
)
DEFAULT_SCHEDULES = {
    "npq-early-headship-coaching-offer": "npq-ehco-november",
    "npq-additional-support-offer": "npq-aso-november",
    "npq-senior-leadership": "npq-leadership-autumn",
    "npq-headship": "npq-leadership-autumn",
    "npq-executive-leadership": "npq-leadership-autumn",
    "npq-early-years-leadership": "npq-leadership-autumn",
}  # every other course: npq-specialist-autumn

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

# DfE's words (config/locales/en.yml), by what they are about.
WORDS = {
    "unauthorised": "HTTP Token: Access denied",
    "not_found": "Resource not found",
    "bad_request": "Bad request",
    "bad_json": "correct json data structure required. See API docs for reference",
    "bad_page": "The '#/page[page]' and '#/page[per_page]' parameter values must be a valid "
    "positive number",
    "bad_date_filter": "The filter '#/{name}' must be a valid ISO 8601 date",
    "bad_filter": "Unpermitted parameters",
    # DfE's `invalid_participant_id_filter` (its text is not in the copy read): the fake's words.
    "bad_participant_id_filter": "The filter '#/participant_id' must contain valid participant "
    "IDs, separated by commas",
    "already_accepted": "This NPQ application has already been accepted",
    "already_rejected": "This NPQ application has already been rejected",
    "cannot_change_from_accepted": "Once accepted an application cannot change state",
    "another_accepted": "The participant has already had an application accepted for this course.",
    "funded_place_inclusion": "Set '#/funded_place' to true or false.",
    "funded_place_not_eligible": "The participant is not eligible for funding, so "
    "'#/funded_place' cannot be set to true.",
    "funded_place_missing": "The entered '#/funded_place' is missing from your request. Check "
    "details and try again.",
    "funded_place_not_accepted": "You must accept the application before attempting to change "
    "the '#/funded_place' setting.",
    "funded_place_change_not_eligible": "This participant is not eligible for funding. Contact "
    "us if you think this is wrong.",
    "funded_place_uncapped": "Leave the '#/funded_place' field blank. It's only needed for "
    "participants starting NPQs from autumn 2024 onwards.",
    "funded_place_with_declarations": "You cannot change the funded place because declarations "
    "have been submitted. You will need to void the existing declarations and resubmit them "
    "after changing the funded place.",
    "participant_blank": "The property '#/participant_id' must be present",
    "participant_invalid": "Your update cannot be made as the '#/participant_id' is not "
    "recognised. Check participant details and try again.",
    "course_invalid": "The entered '#/course_identifier' is not recognised for the given "
    "participant. Check details and try again.",
    "declaration_type_blank": "Enter a '#/declaration_type'.",
    "declaration_type_invalid": "The property '#/declaration_type' does not exist for this "
    "schedule.",
    "declaration_date_blank": "Enter a '#/declaration_date'.",
    "declaration_date_invalid": "Enter a valid RCF3339 '#/declaration_date'.",
    "declaration_date_future": "The '#/declaration_date' value cannot be a future date. Check "
    "the date and try again.",
    "declaration_after_withdrawal": "This participant withdrew from this course on {date}. "
    "Enter a '#/declaration_date' that's on or before the withdrawal date.",
    "has_passed_invalid": "Enter 'true' or 'false' in the '#/has_passed' field to indicate "
    "whether this participant has passed or failed their course.",
    "delivery_partner_blank": "The property '#/delivery_partner_id' must be present",
    "delivery_partner_unknown": "The entered '#/{name}' is not from your list of confirmed "
    "Delivery Partners for the Cohort",
    # Not in DfE's locale file: the fake's words for DfE's catchment and secondary checks.
    "delivery_partner_outside_catchment": "The property '#/delivery_partner_id' must not be "
    "present for a participant outside the catchment",
    "secondary_same": "The '#/secondary_delivery_partner_id' must differ from the "
    "'#/delivery_partner_id'",
    "secondary_without_primary": "The property '#/delivery_partner_id' must be present",
    "duplicate_declaration": "A declaration has already been submitted that will be, or has "
    "been, paid for this event",
    "already_voided": "This declaration has already been voided.",
    # DFE_API.md §1: voiding another provider's declaration (a transferred application's).
    "cannot_modify_declaration": "Cannot modify declaration",
    "already_active": "The participant is already active",
    "already_deferred": "The participant is already deferred",
    "already_withdrawn": "The participant is already withdrawn",
    "no_declarations": "You cannot defer an NPQ participant that has no declarations",
    "no_started_declarations": "An NPQ participant who has not got a started declaration "
    "cannot be withdrawn. Please contact support for assistance",
    "reason_blank": "The property '#/reason' must be present",
    "reason_inclusion": "The property '#/reason' must be a valid reason",
    "no_completed_declarations": "The participant has not had a 'completed' declaration "
    "submitted for them. Therefore you cannot update their outcome.",
    "state_inclusion": "The attribute '#/state' can only include 'passed' or 'failed' values. "
    "If you need to void an outcome, you will need to void the associated 'completed' "
    "declaration.",
    "completion_date_blank": "The '#/completion_date' is missing from your request. Please "
    "include a completion_date value and try again.",
    "completion_date_invalid": "The '#/completion_date' value must be in the following format: "
    "'yyyy-mm-dd'",
    "completion_date_future": "The '#/completion_date' value cannot be a future date. Check the "
    "date and try again.",
    # Not in the locale file read: the fake's words for DfE's change-schedule checks.
    "schedule_blank": "The property '#/schedule_identifier' must be present",
    "schedule_invalid": "The property '#/schedule_identifier' must be a schedule for the course",
    "cohort_with_declarations": "The property '#/cohort' cannot change once declarations have "
    "been submitted for the participant",
    "cohort_uncapped": "The property '#/cohort' cannot change from a funding-capped cohort to "
    "one before capping",
    "participant_id_changed": "The ID {from_id} has been retired and replaced by {to_id}. "
    "Use the new ID for this participant.",
}


def spec_errors(request: httpx.Request, response: httpx.Response) -> list[str]:
    """How a response breaks DfE's spec as the portal patches it (dfe/spec.py): the fake
    checks every answer it gives with this, so it cannot drift from DfE."""
    return response_errors(request, response)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_id() -> str:
    return str(uuid.uuid4())


def _parse_iso8601(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Refused(Exception):
    """An error answer: raised inside a handler, turned into DfE's body by `handle`."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(status)
        self.status = status
        self.body = body


def _unprocessable(*errors: tuple[str, str]) -> Refused:
    return Refused(
        422, {"errors": [{"title": title, "detail": detail} for title, detail in errors]}
    )


def _bad_request(detail: str) -> Refused:
    return Refused(400, {"errors": [{"title": WORDS["bad_request"], "detail": detail}]})


def _not_found() -> Refused:
    return Refused(404, {"error": WORDS["not_found"]})


@dataclass
class Call:
    """One request the fake received (429s and 401s included) and the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


class FakeDfe:
    """DfE's v3 API for one lead provider's token, in memory. See the module docstring."""

    def __init__(self, token: str = TOKEN, *, now: datetime | None = None):
        self.token = token
        self.now = now or datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
        self.applications: dict[str, dict[str, Any]] = {}
        self.participants: dict[str, dict[str, Any]] = {}
        self.retired_participant_ids: dict[str, dict[str, str]] = {}
        self.declarations: dict[str, dict[str, Any]] = {}
        self.outcomes: list[dict[str, Any]] = []
        self.statements: dict[str, dict[str, Any]] = {}
        self.delivery_partners: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self._rate_limited = 0
        self._retry_after = "1"
        self._sequence = 0

    # ---- seeding -------------------------------------------------------------------------

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def add_participant(
        self,
        *,
        participant_id: str | None = None,
        full_name: str = "Ada Lovelace",
        teacher_reference_number: str | None = "1234567",
        email: str | None = "ada@example.org",
        updated_at: datetime | None = None,
    ) -> str:
        participant_id = participant_id or _new_id()
        self.participants[participant_id] = {
            "id": participant_id,
            "full_name": full_name,
            "teacher_reference_number": teacher_reference_number,
            "email": email,
            "previous_names": [],
            "participant_id_changes": [],
            "created_at": updated_at or self.now,
            "updated_at": updated_at or self.now,
        }
        return participant_id

    def add_application(
        self,
        *,
        participant_id: str | None = None,
        course_identifier: str = "npq-senior-leadership",
        cohort: str = "2025",
        status: str = "pending",
        eligible_for_funding: bool = True,
        funded_place: bool | None = None,
        teacher_catchment: bool = True,
        full_name: str = "Ada Lovelace",
        teacher_reference_number: str | None = "1234567",
        email: str | None = "ada@example.org",
        school_urn: str = "100000",
        updated_at: datetime | None = None,
        application_id: str | None = None,
    ) -> str:
        """An application DfE holds for this provider; its participant is made if new."""
        if participant_id not in self.participants:
            participant_id = self.add_participant(
                participant_id=participant_id,
                full_name=full_name,
                teacher_reference_number=teacher_reference_number,
                email=email,
                updated_at=updated_at,
            )
        application_id = application_id or _new_id()
        moment = updated_at or self.now
        self.applications[application_id] = {
            "id": application_id,
            "seq": self._next(),
            "participant_id": participant_id,
            "course_identifier": course_identifier,
            "cohort": cohort,
            "status": status,
            "reason_for_rejection": None,
            "eligible_for_funding": eligible_for_funding,
            "funded_place": funded_place,
            "teacher_catchment": teacher_catchment,
            "school_urn": school_urn,
            "schedule_identifier": (
                self._default_schedule(course_identifier) if status == "accepted" else None
            ),
            "training_status": "active",
            "withdrawal": None,
            "deferral": None,
            "created_at": moment,
            "updated_at": moment,
        }
        return application_id

    def add_delivery_partner(
        self, name: str = "North Hub", cohorts: tuple[str, ...] = ("2024", "2025")
    ) -> str:
        partner_id = _new_id()
        self.delivery_partners[partner_id] = {
            "id": partner_id,
            "seq": self._next(),
            "name": name,
            "cohort": list(cohorts),
            "created_at": self.now,
            "updated_at": self.now,
        }
        return partner_id

    def add_statement(
        self,
        *,
        cohort: str = "2025",
        month: str = "January",
        year: str = "2027",
        cut_off_date: str = "2026-12-25",
        payment_date: str = "2027-01-25",
        paid: bool = False,
    ) -> str:
        statement_id = _new_id()
        self.statements[statement_id] = {
            "id": statement_id,
            "seq": self._next(),
            "month": month,
            "year": year,
            "cohort": cohort,
            "cut_off_date": cut_off_date,
            "payment_date": payment_date,
            "paid": paid,
            "created_at": self.now,
            "updated_at": self.now,
        }
        return statement_id

    def retire_participant(self, from_id: str, to_id: str | None = None) -> str:
        """DfE merges `from_id` into `to_id` (new if not given): the old id answers 410."""
        if to_id not in self.participants:
            old = self.participants[from_id]
            to_id = self.add_participant(
                participant_id=to_id,
                full_name=old["full_name"],
                teacher_reference_number=old["teacher_reference_number"],
                email=old["email"],
            )
        change = {
            "from_participant_id": from_id,
            "to_participant_id": to_id,
            "changed_at": _stamp(self.now),
        }
        for record in [*self.applications.values(), *self.declarations.values()]:
            if record["participant_id"] == from_id:
                record["participant_id"] = to_id
                record["updated_at"] = self.now
        for outcome in self.outcomes:
            if outcome["participant_id"] == from_id:
                outcome["participant_id"] = to_id
        new = self.participants[to_id]
        new["participant_id_changes"].append(change)
        new["updated_at"] = self.now
        self.participants.pop(from_id, None)
        self.retired_participant_ids[from_id] = change
        return to_id

    def set_declaration_state(
        self, declaration_id: str, state: str, *, statement_id: str | None = None
    ) -> None:
        """DfE's own moves: eligible → payable (onto a statement) → paid; clawback → clawed_back."""
        declaration = self.declarations[declaration_id]
        allowed = {
            "payable": ("submitted", "eligible"),
            "paid": ("payable",),
            "clawed_back": ("awaiting_clawback",),
        }
        if declaration["state"] not in allowed.get(state, ()):
            raise ValueError(f"DfE does not move a {declaration['state']} declaration to {state}")
        if state == "payable":
            if statement_id not in self.statements:
                raise ValueError("A payable declaration is on a statement: give its statement_id")
            declaration["statement_id"] = statement_id
        declaration["state"] = state
        declaration["updated_at"] = self.now

    def add_other_providers_declaration(
        self,
        *,
        participant_id: str,
        course_identifier: str = "npq-senior-leadership",
        declaration_type: str = "started",
        cohort: str = "2025",
        state: str = "paid",
        declaration_date: str = "2025-10-06T09:00:00Z",
        lead_provider_name: str = "Best Practice Network",
    ) -> str:
        """Another lead provider's declaration for this participant, on the application they
        held with that provider before it was transferred here (its own application id, which
        this provider cannot see). DfE lists it since 1 December 2025 and refuses (403) to
        void it (DFE_API.md §2)."""
        declaration_id = _new_id()
        self.declarations[declaration_id] = {
            "id": declaration_id,
            "seq": self._next(),
            "participant_id": participant_id,
            "application_id": _new_id(),
            "other_provider": {"name": lead_provider_name, "cohort": cohort},
            "declaration_type": declaration_type,
            "declaration_date": declaration_date,
            "course_identifier": course_identifier,
            "state": state,
            "has_passed": None,
            "statement_id": None,
            "clawback_statement_id": None,
            "delivery_partner_id": None,
            "secondary_delivery_partner_id": None,
            "created_at": self.now,
            "updated_at": self.now,
        }
        return declaration_id

    def rate_limit_next(self, count: int, *, retry_after: int | str = 1) -> None:
        """The next `count` requests answer 429 with this Retry-After, as Rack::Attack does."""
        self._rate_limited = count
        self._retry_after = str(retry_after)

    def calls_to(self, method: str, path_pattern: str) -> list[Call]:
        """The calls whose method matches and whose path matches the regex (anchored at end)."""
        return [
            call
            for call in self.calls
            if call.method == method and re.search(path_pattern + "$", call.path)
        ]

    # ---- the transport -------------------------------------------------------------------

    ROUTES = [
        ("GET", r"/api/v3/npq-applications", "list_applications"),
        ("GET", r"/api/v3/npq-applications/(?P<id>[^/]+)", "show_application"),
        ("POST", r"/api/v3/npq-applications/(?P<id>[^/]+)/accept", "accept"),
        ("POST", r"/api/v3/npq-applications/(?P<id>[^/]+)/reject", "reject"),
        (
            "PUT",
            r"/api/v3/npq-applications/(?P<id>[^/]+)/change-funded-place",
            "change_funded_place",
        ),
        ("GET", r"/api/v3/participants/npq", "list_participants"),
        ("GET", r"/api/v3/participants/npq/outcomes", "list_all_outcomes"),
        ("GET", r"/api/v3/participants/npq/(?P<id>[^/]+)", "show_participant"),
        ("PUT", r"/api/v3/participants/npq/(?P<id>[^/]+)/withdraw", "withdraw"),
        ("PUT", r"/api/v3/participants/npq/(?P<id>[^/]+)/defer", "defer"),
        ("PUT", r"/api/v3/participants/npq/(?P<id>[^/]+)/resume", "resume"),
        ("PUT", r"/api/v3/participants/npq/(?P<id>[^/]+)/change-schedule", "change_schedule"),
        ("GET", r"/api/v3/participants/npq/(?P<id>[^/]+)/outcomes", "list_outcomes"),
        ("POST", r"/api/v3/participants/npq/(?P<id>[^/]+)/outcomes", "create_outcome"),
        ("GET", r"/api/v3/participant-declarations", "list_declarations"),
        ("POST", r"/api/v3/participant-declarations", "create_declaration"),
        ("GET", r"/api/v3/participant-declarations/(?P<id>[^/]+)", "show_declaration"),
        ("PUT", r"/api/v3/participant-declarations/(?P<id>[^/]+)/void", "void"),
        ("GET", r"/api/v3/statements", "list_statements"),
        ("GET", r"/api/v3/statements/(?P<id>[^/]+)", "show_statement"),
        ("GET", r"/api/v3/delivery-partners", "list_delivery_partners"),
        ("GET", r"/api/v3/delivery-partners/(?P<id>[^/]+)", "show_delivery_partner"),
    ]

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as DfE would; AssertionError if the answer breaks DfE's spec."""
        query = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        try:
            body = json.loads(request.content) if request.content else None
            bad_json = False
        except ValueError:
            body, bad_json = None, True
        call = Call(request.method, request.url.path, query, body)
        self.calls.append(call)

        response = self._answer(request, query, body, bad_json)
        call.status = response.status_code
        errors = spec_errors(request, response)
        if errors:
            raise AssertionError(
                f"The fake's {response.status_code} to {request.method} {request.url.path} "
                f"breaks DfE's spec: {'; '.join(errors)}"
            )
        return response

    def _answer(
        self, request: httpx.Request, query: dict[str, str], body: Any, bad_json: bool
    ) -> httpx.Response:
        if self._rate_limited > 0:
            self._rate_limited -= 1
            return httpx.Response(
                429,
                headers={"Retry-After": self._retry_after, "Content-Type": "text/plain"},
                text="Retry later\n",
            )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": WORDS["unauthorised"]})
        name, match = self._route(request.method, request.url.path)
        try:
            if bad_json or (body is not None and not isinstance(body, dict)):
                raise _bad_request(WORDS["bad_json"])
            data = getattr(self, f"_{name}")(query=query, body=body or {}, **match.groupdict())
        except Refused as refused:
            return httpx.Response(refused.status, json=refused.body)
        return httpx.Response(200, json={"data": data})

    def _route(self, method: str, path: str) -> tuple[str, re.Match]:
        for verb, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                return name, match
        raise AssertionError(f"The fake does not serve {method} {path}")

    # ---- shared pieces -------------------------------------------------------------------

    @staticmethod
    def _default_schedule(course_identifier: str) -> str:
        return DEFAULT_SCHEDULES.get(course_identifier, "npq-specialist-autumn")

    @staticmethod
    def _attributes(body: dict[str, Any]) -> dict[str, Any]:
        data = body.get("data")
        attributes = data.get("attributes") if isinstance(data, dict) else None
        if body and not isinstance(attributes, dict):
            raise _bad_request(WORDS["bad_json"])
        return attributes or {}

    def _page(self, records: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        """DfE's countless paging: no totals, an empty page past the end."""
        try:
            page = int(query.get("page[page]", "1"))
            per_page = int(query.get("page[per_page]", str(DEFAULT_PER_PAGE)))
        except ValueError:
            raise _bad_request(WORDS["bad_page"]) from None
        if page < 1 or per_page < 1:
            raise _bad_request(WORDS["bad_page"])
        per_page = min(per_page, MAX_PER_PAGE)
        records = sorted(records, key=lambda record: record["seq"])
        return records[(page - 1) * per_page : page * per_page]

    @staticmethod
    def _since(query: dict[str, str], name: str) -> datetime | None:
        value = query.get(f"filter[{name}]")
        if value is None:
            return None
        moment = _parse_iso8601(value)
        if moment is None:
            raise _bad_request(WORDS["bad_date_filter"].format(name=name))
        return moment

    @staticmethod
    def _listed(query: dict[str, str], name: str) -> list[str] | None:
        value = query.get(f"filter[{name}]")
        if value is None:
            return None
        items = [item.strip() for item in value.split(",")]
        if name == "participant_id" and not all(UUID.match(item) for item in items):
            raise _bad_request(WORDS["bad_participant_id_filter"])
        return items

    def _same_person(self, one: dict[str, Any], other: dict[str, Any]) -> bool:
        if one["participant_id"] == other["participant_id"]:
            return True
        trn = self.participants[one["participant_id"]]["teacher_reference_number"]
        return (
            bool(trn)
            and trn == (self.participants[other["participant_id"]]["teacher_reference_number"])
        )

    def _touch(self, application: dict[str, Any]) -> None:
        application["updated_at"] = self.now
        self.participants[application["participant_id"]]["updated_at"] = self.now

    def _funded(self, application: dict[str, Any]) -> bool:
        if int(application["cohort"]) >= CAPPED_FROM_COHORT:
            return bool(application["funded_place"])
        return application["eligible_for_funding"]

    def _participant(self, participant_id: str) -> dict[str, Any]:
        if participant_id in self.retired_participant_ids:
            change = self.retired_participant_ids[participant_id]
            raise Refused(
                410,
                {
                    "errors": [
                        {
                            "title": "Participant ID has been changed",
                            "detail": WORDS["participant_id_changed"].format(
                                from_id=change["from_participant_id"],
                                to_id=change["to_participant_id"],
                            ),
                            "participant_id_changes": [change],
                        }
                    ]
                },
            )
        participant = self.participants.get(participant_id)
        if participant is None or not self._enrolments(participant_id):
            raise _not_found()
        return participant

    def _enrolments(self, participant_id: str) -> list[dict[str, Any]]:
        return sorted(
            (
                application
                for application in self.applications.values()
                if application["participant_id"] == participant_id
                and application["status"] == "accepted"
            ),
            key=lambda application: application["seq"],
        )

    def _enrolment(self, participant_id: str, course_identifier: Any) -> dict[str, Any]:
        for application in self._enrolments(participant_id):
            if application["course_identifier"] == course_identifier:
                return application
        raise _unprocessable(("course_identifier", WORDS["course_invalid"]))

    def _declarations_of(self, application: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            declaration
            for declaration in self.declarations.values()
            if declaration["application_id"] == application["id"]
        ]

    # ---- serialisers ---------------------------------------------------------------------

    def _application_json(self, application: dict[str, Any]) -> dict[str, Any]:
        person = self.participants[application["participant_id"]]
        return {
            "id": application["id"],
            "type": "npq_application",
            "attributes": {
                "participant_id": application["participant_id"],
                "course_identifier": application["course_identifier"],
                "full_name": person["full_name"],
                "email": person["email"],
                "email_validated": True,
                "teacher_reference_number": person["teacher_reference_number"],
                "teacher_reference_number_validated": bool(person["teacher_reference_number"]),
                "school_urn": application["school_urn"],
                "school_ukprn": None,
                "private_childcare_provider_urn": None,
                "employer_name": None,
                "employment_role": None,
                "funding_choice": None if application["eligible_for_funding"] else "school",
                "headteacher_status": "no",
                "works_in_school": True,
                "status": application["status"],
                "reason_for_rejection": application["reason_for_rejection"],
                "cohort": application["cohort"],
                "cohort_suffix": "a",
                "schedule_identifier": application["schedule_identifier"],
                "eligible_for_funding": application["eligible_for_funding"],
                "ineligible_for_funding_reason": (
                    None if application["eligible_for_funding"] else "establishment-ineligible"
                ),
                "funded_place": application["funded_place"],
                "targeted_delivery_funding_eligibility": False,
                "teacher_catchment": application["teacher_catchment"],
                "teacher_catchment_country": (
                    "United Kingdom of Great Britain and Northern Ireland"
                    if application["teacher_catchment"]
                    else "France"
                ),
                "teacher_catchment_iso_country_code": (
                    "GBR" if application["teacher_catchment"] else "FRA"
                ),
                "itt_provider": None,
                "lead_mentor": False,
                "works_as_senco": None,
                "senco_start_date": None,
                "created_at": _stamp(application["created_at"]),
                "updated_at": _stamp(application["updated_at"]),
            },
        }

    def _participant_json(self, participant: dict[str, Any]) -> dict[str, Any]:
        enrolments = [
            {
                "course_identifier": application["course_identifier"],
                "schedule_identifier": application["schedule_identifier"],
                "cohort": application["cohort"],
                "cohort_suffix": "a",
                "npq_application_id": application["id"],
                "eligible_for_funding": application["eligible_for_funding"],
                "training_status": application["training_status"],
                "school_urn": application["school_urn"],
                "targeted_delivery_funding_eligibility": False,
                "funded_place": application["funded_place"],
                "email": participant["email"],
                "withdrawal": application["withdrawal"],
                "deferral": application["deferral"],
                "created_at": _stamp(application["created_at"]),
            }
            for application in self._enrolments(participant["id"])
        ]
        return {
            "id": participant["id"],
            "type": "npq-participant",
            "attributes": {
                "full_name": participant["full_name"],
                "previous_names": participant["previous_names"],
                "teacher_reference_number": participant["teacher_reference_number"],
                "updated_at": _stamp(participant["updated_at"]),
                "npq_enrolments": enrolments,
                "participant_id_changes": participant["participant_id_changes"],
            },
        }

    def _declaration_json(self, declaration: dict[str, Any]) -> dict[str, Any]:
        partner = self.delivery_partners.get(declaration["delivery_partner_id"] or "")
        secondary = self.delivery_partners.get(declaration["secondary_delivery_partner_id"] or "")
        return {
            "id": declaration["id"],
            "type": "participant-declaration",
            "attributes": {
                "participant_id": declaration["participant_id"],
                "application_id": declaration["application_id"],
                "declaration_type": declaration["declaration_type"],
                "declaration_date": declaration["declaration_date"],
                "course_identifier": declaration["course_identifier"],
                "state": declaration["state"],
                "has_passed": declaration["has_passed"],
                "statement_id": declaration["statement_id"],
                "clawback_statement_id": declaration["clawback_statement_id"],
                "uplift_paid": False,
                "lead_provider_name": self._provider_of(declaration)["name"],
                "ineligible_for_funding_reason": None,
                "delivery_partner_id": declaration["delivery_partner_id"],
                "delivery_partner_name": partner["name"] if partner else None,
                "secondary_delivery_partner_id": declaration["secondary_delivery_partner_id"],
                "secondary_delivery_partner_name": secondary["name"] if secondary else None,
                "created_at": _stamp(declaration["created_at"]),
                "updated_at": _stamp(declaration["updated_at"]),
            },
        }

    @staticmethod
    def _outcome_json(outcome: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": outcome["id"],
            "type": "participant-outcome",
            "attributes": {
                "state": outcome["state"],
                "completion_date": outcome["completion_date"],
                "course_identifier": outcome["course_identifier"],
                "participant_id": outcome["participant_id"],
                "created_at": _stamp(outcome["created_at"]),
                "updated_at": _stamp(outcome["created_at"]),
            },
        }

    @staticmethod
    def _statement_json(statement: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": statement["id"],
            "type": "statement",
            "attributes": {
                **{
                    key: statement[key]
                    for key in ("month", "year", "cohort", "cut_off_date", "payment_date", "paid")
                },
                "created_at": _stamp(statement["created_at"]),
                "updated_at": _stamp(statement["updated_at"]),
            },
        }

    @staticmethod
    def _delivery_partner_json(partner: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": partner["id"],
            "type": "delivery-partner",
            "attributes": {
                "name": partner["name"],
                "cohort": partner["cohort"],
                "created_at": _stamp(partner["created_at"]),
                "updated_at": _stamp(partner["updated_at"]),
            },
        }

    # ---- applications --------------------------------------------------------------------

    def _list_applications(self, query, body):
        since = self._since(query, "updated_since")
        cohorts = self._listed(query, "cohort")
        participant_ids = self._listed(query, "participant_id")
        records = [
            application
            for application in self.applications.values()
            if (since is None or application["updated_at"] >= since)
            and (cohorts is None or application["cohort"] in cohorts)
            and (participant_ids is None or application["participant_id"] in participant_ids)
        ]
        return [self._application_json(record) for record in self._page(records, query)]

    def _application(self, id: str) -> dict[str, Any]:
        application = self.applications.get(id)
        if application is None:
            raise _not_found()
        return application

    def _show_application(self, query, body, id):
        return self._application_json(self._application(id))

    def _accept(self, query, body, id):
        application = self._application(id)
        attributes = self._attributes(body)
        if application["status"] == "accepted":
            raise _unprocessable(("application", WORDS["already_accepted"]))
        if application["status"] == "rejected":
            raise _unprocessable(("application", WORDS["already_rejected"]))
        same = [
            other
            for other in self.applications.values()
            if other is not application
            and other["course_identifier"] == application["course_identifier"]
            and other["cohort"] == application["cohort"]
            and self._same_person(application, other)
        ]
        if any(other["status"] == "accepted" for other in same):
            raise _unprocessable(("application", WORDS["another_accepted"]))
        funded_place = attributes.get("funded_place")
        if int(application["cohort"]) >= CAPPED_FROM_COHORT:
            if not isinstance(funded_place, bool):
                raise _unprocessable(("funded_place", WORDS["funded_place_inclusion"]))
            if funded_place and not application["eligible_for_funding"]:
                raise _unprocessable(("funded_place", WORDS["funded_place_not_eligible"]))
        else:
            funded_place = None  # ignored before capping
        application.update(
            status="accepted",
            funded_place=funded_place,
            schedule_identifier=attributes.get("schedule_identifier")
            or self._default_schedule(application["course_identifier"]),
            training_status="active",
        )
        self._touch(application)
        for other in same:
            if other["status"] == "pending":
                other.update(
                    status="rejected",
                    reason_for_rejection="other_application_in_this_cohort_accepted",
                )
                self._touch(other)
        return self._application_json(application)

    def _reject(self, query, body, id):
        application = self._application(id)
        if application["status"] == "rejected":
            raise _unprocessable(("application", WORDS["already_rejected"]))
        if application["status"] == "accepted" and any(
            declaration["state"] in BILLABLE_STATES
            for declaration in self._declarations_of(application)
        ):
            raise _unprocessable(("application", WORDS["cannot_change_from_accepted"]))
        application.update(status="rejected", reason_for_rejection="rejected_by_provider")
        self._touch(application)
        return self._application_json(application)

    def _change_funded_place(self, query, body, id):
        """A new `funded_place` for an accepted application in a capped cohort, never true when
        DfE says not eligible, and not while a declaration stands (submitted, eligible, payable
        or paid), whichever way it changes (DFE_API.md §2, 4). DfE gives every error it finds."""
        application = self._application(id)
        funded_place = self._attributes(body).get("funded_place")
        errors = []
        if not isinstance(funded_place, bool):
            errors.append(("funded_place", WORDS["funded_place_missing"]))
        if application["status"] != "accepted":
            errors.append(("application", WORDS["funded_place_not_accepted"]))
        if funded_place is True and not application["eligible_for_funding"]:
            errors.append(("application", WORDS["funded_place_change_not_eligible"]))
        if not errors and int(application["cohort"]) < CAPPED_FROM_COHORT:
            errors.append(("application", WORDS["funded_place_uncapped"]))
        if any(
            declaration["state"] in BILLABLE_STATES
            for declaration in self._declarations_of(application)
        ):
            errors.append(("application", WORDS["funded_place_with_declarations"]))
        if errors:
            raise _unprocessable(*errors)
        application["funded_place"] = funded_place
        self._touch(application)
        return self._application_json(application)

    # ---- participants --------------------------------------------------------------------

    def _list_participants(self, query, body):
        since = self._since(query, "updated_since")
        status = query.get("filter[training_status]")
        if status is not None and status not in ("active", "deferred", "withdrawn"):
            raise _unprocessable(("Unpermitted parameters", WORDS["bad_filter"]))
        from_id = query.get("filter[from_participant_id]")
        records = []
        for participant in self.participants.values():
            enrolments = self._enrolments(participant["id"])
            if not enrolments:
                continue
            if since is not None and participant["updated_at"] < since:
                continue
            if status is not None and all(e["training_status"] != status for e in enrolments):
                continue
            if from_id is not None and all(
                change["from_participant_id"] != from_id
                for change in participant["participant_id_changes"]
            ):
                continue
            records.append({**participant, "seq": enrolments[0]["seq"]})
        return [self._participant_json(record) for record in self._page(records, query)]

    def _show_participant(self, query, body, id):
        return self._participant_json(self._participant(id))

    def _live_declarations(self, application: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            declaration
            for declaration in self._declarations_of(application)
            if declaration["state"] not in ("voided", "awaiting_clawback", "clawed_back")
        ]

    def _reason(self, attributes: dict[str, Any], reasons: tuple[str, ...]) -> str:
        reason = attributes.get("reason")
        if not reason:
            raise _unprocessable(("reason", WORDS["reason_blank"]))
        if reason not in reasons:
            raise _unprocessable(("reason", WORDS["reason_inclusion"]))
        return reason

    def _withdraw(self, query, body, id):
        participant = self._participant(id)
        attributes = self._attributes(body)
        application = self._enrolment(id, attributes.get("course_identifier"))
        reason = self._reason(attributes, WITHDRAW_REASONS)
        if application["training_status"] == "withdrawn":
            raise _unprocessable(("participant_id", WORDS["already_withdrawn"]))
        if not any(
            declaration["declaration_type"] == "started"
            for declaration in self._live_declarations(application)
        ):
            raise _unprocessable(("participant_id", WORDS["no_started_declarations"]))
        application.update(
            training_status="withdrawn",
            withdrawal={"reason": reason, "date": _stamp(self.now)},
        )
        self._touch(application)
        return self._participant_json(participant)

    def _defer(self, query, body, id):
        participant = self._participant(id)
        attributes = self._attributes(body)
        application = self._enrolment(id, attributes.get("course_identifier"))
        reason = self._reason(attributes, DEFER_REASONS)
        if application["training_status"] == "deferred":
            raise _unprocessable(("participant_id", WORDS["already_deferred"]))
        if application["training_status"] == "withdrawn":
            raise _unprocessable(("participant_id", WORDS["already_withdrawn"]))
        if not self._live_declarations(application):
            raise _unprocessable(("participant_id", WORDS["no_declarations"]))
        application.update(
            training_status="deferred", deferral={"reason": reason, "date": _stamp(self.now)}
        )
        self._touch(application)
        return self._participant_json(participant)

    def _resume(self, query, body, id):
        participant = self._participant(id)
        attributes = self._attributes(body)
        application = self._enrolment(id, attributes.get("course_identifier"))
        if application["training_status"] == "active":
            raise _unprocessable(("participant_id", WORDS["already_active"]))
        application.update(training_status="active", deferral=None, withdrawal=None)
        self._touch(application)
        return self._participant_json(participant)

    def _change_schedule(self, query, body, id):
        """A new schedule (and cohort) for the participant's course: the schedule must be one
        of the course's; the cohort changes only while no declaration stands, and never from a
        capped cohort to one before capping (DFE_API.md §2, 5)."""
        participant = self._participant(id)
        attributes = self._attributes(body)
        application = self._enrolment(id, attributes.get("course_identifier"))
        schedule = attributes.get("schedule_identifier")
        if not schedule:
            raise _unprocessable(("schedule_identifier", WORDS["schedule_blank"]))
        if not str(schedule).startswith(self._schedule_family(application["course_identifier"])):
            raise _unprocessable(("schedule_identifier", WORDS["schedule_invalid"]))
        cohort = attributes.get("cohort") or application["cohort"]
        if cohort != application["cohort"]:
            if self._live_declarations(application):
                raise _unprocessable(("cohort", WORDS["cohort_with_declarations"]))
            if int(application["cohort"]) >= CAPPED_FROM_COHORT > int(cohort):
                raise _unprocessable(("cohort", WORDS["cohort_uncapped"]))
        application.update(schedule_identifier=schedule, cohort=cohort)
        self._touch(application)
        return self._participant_json(participant)

    @staticmethod
    def _schedule_family(course_identifier: str) -> str:
        if course_identifier == "npq-early-headship-coaching-offer":
            return "npq-ehco-"
        if course_identifier == "npq-additional-support-offer":
            return "npq-aso-"
        if DEFAULT_SCHEDULES.get(course_identifier) == "npq-leadership-autumn":
            return "npq-leadership-"
        return "npq-specialist-"

    # ---- declarations --------------------------------------------------------------------

    def _list_declarations(self, query, body):
        since = self._since(query, "updated_since")
        participant_ids = self._listed(query, "participant_id")
        cohorts = self._listed(query, "cohort")
        records = [
            declaration
            for declaration in self.declarations.values()
            if (since is None or declaration["updated_at"] >= since)
            and (participant_ids is None or declaration["participant_id"] in participant_ids)
            and (cohorts is None or self._provider_of(declaration)["cohort"] in cohorts)
        ]
        return [self._declaration_json(record) for record in self._page(records, query)]

    def _declaration(self, id: str) -> dict[str, Any]:
        declaration = self.declarations.get(id)
        if declaration is None:
            raise _not_found()
        return declaration

    def _show_declaration(self, query, body, id):
        return self._declaration_json(self._declaration(id))

    def _create_declaration(self, query, body, id=None):
        attributes = self._attributes(body)
        if not attributes:
            raise _bad_request(WORDS["bad_json"])
        participant_id = attributes.get("participant_id")
        if not participant_id:
            raise _unprocessable(("participant_id", WORDS["participant_blank"]))
        if participant_id not in self.participants or not self._enrolments(participant_id):
            raise _unprocessable(("participant_id", WORDS["participant_invalid"]))
        application = self._enrolment(participant_id, attributes.get("course_identifier"))

        errors: list[tuple[str, str]] = []
        declaration_type = attributes.get("declaration_type")
        if not declaration_type:
            errors.append(("declaration_type", WORDS["declaration_type_blank"]))
        elif declaration_type not in DECLARATION_TYPES:
            errors.append(("declaration_type", WORDS["declaration_type_invalid"]))

        declaration_date = attributes.get("declaration_date")
        moment = None
        if not declaration_date:
            errors.append(("declaration_date", WORDS["declaration_date_blank"]))
        elif not isinstance(declaration_date, str) or not RFC3339.match(declaration_date):
            errors.append(("declaration_date", WORDS["declaration_date_invalid"]))
        else:
            moment = _parse_iso8601(declaration_date)
            if moment is None:
                errors.append(("declaration_date", WORDS["declaration_date_invalid"]))
            elif moment > self.now:
                errors.append(("declaration_date", WORDS["declaration_date_future"]))
            elif application["withdrawal"] and moment >= _parse_iso8601(
                application["withdrawal"]["date"]
            ):
                withdrawn_on = application["withdrawal"]["date"][:10]
                errors.append(
                    (
                        "participant_id",
                        WORDS["declaration_after_withdrawal"].format(date=withdrawn_on),
                    )
                )

        has_passed = attributes.get("has_passed")
        course = application["course_identifier"]
        if declaration_type == "completed" and course not in NO_OUTCOME_COURSES:
            if not isinstance(has_passed, bool):
                errors.append(("has_passed", WORDS["has_passed_invalid"]))
        else:
            has_passed = None

        partner_id = attributes.get("delivery_partner_id")
        secondary_id = attributes.get("secondary_delivery_partner_id")
        if int(application["cohort"]) >= DELIVERY_PARTNER_REQUIRED_FROM:
            if not application["teacher_catchment"]:
                if partner_id or secondary_id:
                    errors.append(
                        ("delivery_partner_id", WORDS["delivery_partner_outside_catchment"])
                    )
            elif not partner_id:
                errors.append(("delivery_partner_id", WORDS["delivery_partner_blank"]))
        if secondary_id and not partner_id:
            errors.append(("delivery_partner_id", WORDS["secondary_without_primary"]))
        if secondary_id and secondary_id == partner_id:
            errors.append(("secondary_delivery_partner_id", WORDS["secondary_same"]))
        for name, value in (
            ("delivery_partner_id", partner_id),
            ("secondary_delivery_partner_id", secondary_id),
        ):
            partner = self.delivery_partners.get(value or "")
            if value and (partner is None or application["cohort"] not in partner["cohort"]):
                errors.append((name, WORDS["delivery_partner_unknown"].format(name=name)))
        if errors:
            raise _unprocessable(*errors)

        if any(
            declaration["declaration_type"] == declaration_type
            and declaration["state"] in BILLABLE_STATES
            for declaration in self._declarations_of(application)
        ):
            raise _unprocessable(("base", WORDS["duplicate_declaration"]))

        declaration = {
            "id": _new_id(),
            "seq": self._next(),
            "participant_id": participant_id,
            "application_id": application["id"],
            "declaration_type": declaration_type,
            "declaration_date": declaration_date,
            "course_identifier": course,
            "state": "eligible" if self._funded(application) else "submitted",
            "has_passed": has_passed,
            "statement_id": None,
            "clawback_statement_id": None,
            "delivery_partner_id": partner_id,
            "secondary_delivery_partner_id": secondary_id,
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.declarations[declaration["id"]] = declaration
        if declaration_type == "completed" and has_passed is not None:
            self._add_outcome(
                participant_id, course, "passed" if has_passed else "failed", moment.date()
            )
        return self._declaration_json(declaration)

    def _provider_of(self, declaration: dict[str, Any]) -> dict[str, Any]:
        """The name of the provider a declaration is with, and its application's cohort."""
        other = declaration.get("other_provider")
        if other:
            return other
        cohort = self.applications[declaration["application_id"]]["cohort"]
        return {"name": LEAD_PROVIDER_NAME, "cohort": cohort}

    def _void(self, query, body, id):
        declaration = self._declaration(id)
        if declaration.get("other_provider"):
            raise Refused(
                403,
                {"errors": [{"title": "Forbidden", "detail": WORDS["cannot_modify_declaration"]}]},
            )
        if declaration["state"] in ("voided", "awaiting_clawback", "clawed_back"):
            raise _unprocessable(("declaration", WORDS["already_voided"]))
        if declaration["state"] == "paid":
            cohort = self.applications[declaration["application_id"]]["cohort"]
            unpaid = [
                statement
                for statement in sorted(self.statements.values(), key=lambda s: s["seq"])
                if statement["cohort"] == cohort and not statement["paid"]
            ]
            declaration["state"] = "awaiting_clawback"
            declaration["clawback_statement_id"] = unpaid[0]["id"] if unpaid else None
        else:
            declaration["state"] = "voided"
        declaration["updated_at"] = self.now
        if declaration["declaration_type"] == "completed":
            latest = self._latest_outcome(
                declaration["participant_id"], declaration["course_identifier"]
            )
            if latest and latest["state"] != "voided":
                self._add_outcome(
                    declaration["participant_id"],
                    declaration["course_identifier"],
                    "voided",
                    date.fromisoformat(latest["completion_date"]),
                )
        return self._declaration_json(declaration)

    # ---- outcomes ------------------------------------------------------------------------

    def _add_outcome(self, participant_id, course_identifier, state, completion_date):
        outcome = {
            "id": _new_id(),
            "seq": self._next(),
            "participant_id": participant_id,
            "course_identifier": course_identifier,
            "state": state,
            "completion_date": completion_date.isoformat(),
            "created_at": self.now,
        }
        self.outcomes.append(outcome)
        return outcome

    def _latest_outcome(self, participant_id, course_identifier):
        mine = [
            outcome
            for outcome in self.outcomes
            if outcome["participant_id"] == participant_id
            and outcome["course_identifier"] == course_identifier
        ]
        return mine[-1] if mine else None

    def _list_all_outcomes(self, query, body):
        since = self._since(query, "created_since")
        records = [
            outcome for outcome in self.outcomes if since is None or outcome["created_at"] >= since
        ]
        return [self._outcome_json(record) for record in self._page(records, query)]

    def _list_outcomes(self, query, body, id):
        self._participant(id)
        records = [outcome for outcome in self.outcomes if outcome["participant_id"] == id]
        return [self._outcome_json(record) for record in self._page(records, query)]

    def _create_outcome(self, query, body, id):
        self._participant(id)
        attributes = self._attributes(body)
        application = self._enrolment(id, attributes.get("course_identifier"))
        if application["course_identifier"] in NO_OUTCOME_COURSES:
            raise _unprocessable(("course_identifier", WORDS["course_invalid"]))
        errors: list[tuple[str, str]] = []
        state = attributes.get("state")
        if state not in ("passed", "failed"):
            errors.append(("state", WORDS["state_inclusion"]))
        raw_date = attributes.get("completion_date")
        completion_date = None
        if not raw_date:
            errors.append(("completion_date", WORDS["completion_date_blank"]))
        else:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(raw_date)):
                    raise ValueError
                completion_date = date.fromisoformat(raw_date)
            except ValueError:
                errors.append(("completion_date", WORDS["completion_date_invalid"]))
            else:
                if completion_date > self.now.date():
                    errors.append(("completion_date", WORDS["completion_date_future"]))
        if errors:
            raise _unprocessable(*errors)
        if not any(
            declaration["declaration_type"] == "completed"
            for declaration in self._live_declarations(application)
        ):
            raise _unprocessable(("base", WORDS["no_completed_declarations"]))
        latest = self._latest_outcome(id, application["course_identifier"])
        if (
            latest
            and latest["state"] == state
            and latest["completion_date"] == completion_date.isoformat()
        ):
            return self._outcome_json(latest)
        outcome = self._add_outcome(id, application["course_identifier"], state, completion_date)
        return self._outcome_json(outcome)

    # ---- statements and delivery partners ------------------------------------------------

    def _list_statements(self, query, body):
        since = self._since(query, "updated_since")
        cohorts = self._listed(query, "cohort")
        records = [
            statement
            for statement in self.statements.values()
            if (since is None or statement["updated_at"] >= since)
            and (cohorts is None or statement["cohort"] in cohorts)
        ]
        return [self._statement_json(record) for record in self._page(records, query)]

    def _show_statement(self, query, body, id):
        statement = self.statements.get(id)
        if statement is None:
            raise _not_found()
        return self._statement_json(statement)

    def _list_delivery_partners(self, query, body):
        cohorts = self._listed(query, "cohort")
        records = [
            partner
            for partner in self.delivery_partners.values()
            if cohorts is None or set(cohorts) & set(partner["cohort"])
        ]
        records.sort(key=lambda partner: partner["name"])
        return [
            self._delivery_partner_json(record)
            for record in self._page(
                [{**record, "seq": index} for index, record in enumerate(records)], query
            )
        ]

    def _show_delivery_partner(self, query, body, id):
        partner = self.delivery_partners.get(id)
        if partner is None:
            raise _not_found()
        return self._delivery_partner_json(partner)


def later(fake: FakeDfe, **delta: float) -> datetime:
    """Move the fake's clock on (`later(fake, hours=1)`) and return the new now."""
    fake.now += timedelta(**delta)
    return fake.now


# ---- the demo's fake (make run) ---------------------------------------------------------


def fake_load(state_file: str) -> FakeDfe:
    """The demo's fake DfE as last saved in `state_file` (a new, empty one if there is none)."""
    path = Path(state_file)
    if path.exists():
        with path.open("rb") as stored:
            fake = pickle.load(stored)  # noqa: S301  a file the portal itself wrote (DFE_FAKE_STATE)
    else:
        fake = FakeDfe()
    fake.now = datetime.now(UTC)
    return fake


def fake_save(fake: FakeDfe, state_file: str) -> None:
    fake.calls = fake.calls[-200:]
    path = Path(state_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as stored:
        pickle.dump(fake, stored)
    temporary.replace(path)


def fake_transport(state_file: str) -> httpx.MockTransport:
    """A transport answering as the demo's fake DfE, kept in `state_file` between requests,
    so `load_demo_data` and the running portal see the same DfE."""
    if not state_file:
        raise ValueError("Set DFE_FAKE_STATE to a file for the demo's fake DfE.")

    def handle(request: httpx.Request) -> httpx.Response:
        fake = fake_load(state_file)
        response = fake.handle(request)
        fake_save(fake, state_file)
        return response

    return httpx.MockTransport(handle)
