"""The stateful fake of DfE's API keeps DfE's rules, and every answer it gives matches the spec.

Each test talks to the fake through `DfeClient`, so the client's own request checks run too.
"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from dfe.client import (
    DfeBadRequest,
    DfeClient,
    DfeForbidden,
    DfeGone,
    DfeNotFound,
    DfeRateLimited,
    DfeRefused,
    DfeUnauthorised,
)
from dfe.fake import TOKEN, FakeDfe, later, spec_errors

BASE_URL = "https://sandbox.register-npq.education.gov.uk"
APPLICATIONS = "/api/v3/npq-applications"
PARTICIPANTS = "/api/v3/participants/npq"
DECLARATIONS = "/api/v3/participant-declarations"
COURSE = "npq-senior-leadership"
UNKNOWN_ID = "0b8f6bd2-0f6c-4a4f-9d0a-1f0c3b6e2a11"


@pytest.fixture
def fake():
    return FakeDfe()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(fake, sleeps):
    with DfeClient(
        BASE_URL, TOKEN, transport=httpx.MockTransport(fake.handle), sleep=sleeps.append
    ) as client:
        yield client


def _accept(client, application_id, **attributes):
    body = {"data": {"type": "npq-application-accept", "attributes": attributes}}
    return client.post(f"{APPLICATIONS}/{application_id}/accept", body)["data"]


def _declare(client, participant_id, declaration_type="started", **attributes):
    body = {
        "data": {
            "type": "participant-declaration",
            "attributes": {
                "participant_id": participant_id,
                "declaration_type": declaration_type,
                "declaration_date": "2026-10-06T09:00:00Z",
                "course_identifier": COURSE,
                **attributes,
            },
        }
    }
    return client.post(DECLARATIONS, body)["data"]


def _participant_action(client, participant_id, action, **attributes):
    body = {
        "data": {
            "type": f"participant-{action}",
            "attributes": {"course_identifier": COURSE, **attributes},
        }
    }
    return client.put(f"{PARTICIPANTS}/{participant_id}/{action}", body)["data"]


def _outcome(client, participant_id, state="passed", completion_date="2026-11-20"):
    body = {
        "data": {
            "type": "npq-outcome-confirmation",
            "attributes": {
                "course_identifier": COURSE,
                "state": state,
                "completion_date": completion_date,
            },
        }
    }
    return client.post(f"{PARTICIPANTS}/{participant_id}/outcomes", body)["data"]


@pytest.fixture
def enrolled(fake, client):
    """An accepted, funded 2025 place with the hub as delivery partner: (participant, partner)."""
    application_id = fake.add_application(cohort="2025")
    partner_id = fake.add_delivery_partner("North Hub", ("2025",))
    accepted = _accept(client, application_id, funded_place=True)
    return accepted["attributes"]["participant_id"], partner_id


# ---- lists ------------------------------------------------------------------------------


def test_paging_with_updated_since_reads_to_the_empty_page_without_totals(fake, client):
    old = fake.now - timedelta(days=10)
    fake.add_application(updated_at=old, teacher_reference_number="1000001")
    recent = [
        fake.add_application(teacher_reference_number=f"200000{n}", full_name=f"Teacher {n}")
        for n in range(5)
    ]

    pages = list(
        client.list_pages(
            APPLICATIONS, {"filter[updated_since]": "2026-12-01T00:00:00Z"}, per_page=2
        )
    )

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [item["id"] for page in pages for item in page] == recent
    assert len(fake.calls_to("GET", APPLICATIONS)) == 4  # the fourth page came back empty
    first = client.get(APPLICATIONS, {"page[page]": 1, "page[per_page]": 2})
    assert set(first) == {"data"}  # no meta, links or totals
    assert client.get(APPLICATIONS, {"page[page]": 9})["data"] == []


def test_per_page_defaults_to_100_and_is_cut_to_3000(fake, client):
    for n in range(101):
        fake.add_application(teacher_reference_number=f"3{n:06d}")

    assert len(client.get(APPLICATIONS)["data"]) == 100
    assert len(client.get(APPLICATIONS, {"page[per_page]": 5000})["data"]) == 101


def test_a_bad_updated_since_or_page_is_a_400_in_dfes_words(fake, client):
    with pytest.raises(DfeBadRequest, match=r"The filter '#/updated_since' must be a valid ISO"):
        client.get(APPLICATIONS, {"filter[updated_since]": "last tuesday"})

    request = httpx.Request(
        "GET",
        f"{BASE_URL}{APPLICATIONS}?page[page]=0",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    response = fake.handle(request)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "title": "Bad request",
                "detail": "The '#/page[page]' and '#/page[per_page]' parameter values must be "
                "a valid positive number",
            }
        ]
    }


def test_filters_by_participant_and_cohort(fake, client):
    one = fake.add_application(cohort="2024", teacher_reference_number="4000001")
    fake.add_application(cohort="2025", teacher_reference_number="4000002")
    participant_id = fake.applications[one]["participant_id"]

    by_cohort = client.get(APPLICATIONS, {"filter[cohort]": "2024"})["data"]
    by_participant = client.get(APPLICATIONS, {"filter[participant_id]": participant_id})["data"]

    assert [item["id"] for item in by_cohort] == [one]
    assert [item["id"] for item in by_participant] == [one]
    with pytest.raises(DfeBadRequest, match="'#/participant_id'"):
        client.get(DECLARATIONS, {"filter[participant_id]": f"{participant_id},Ada"})


# ---- applications -----------------------------------------------------------------------


def test_a_second_accept_for_the_same_person_course_and_cohort_is_refused_in_words(fake, client):
    first = fake.add_application(teacher_reference_number="5000001")
    participant_id = fake.applications[first]["participant_id"]
    second = fake.add_application(participant_id=participant_id)  # registered twice
    by_trn = fake.add_application(teacher_reference_number="5000001")  # a duplicate user record
    other_cohort = fake.add_application(participant_id=participant_id, cohort="2026")

    accepted = _accept(client, first, funded_place=True)

    assert accepted["attributes"]["status"] == "accepted"
    assert accepted["attributes"]["schedule_identifier"] == "npq-leadership-autumn"
    # accepting rejected the person's other pending applications for that course and cohort
    assert fake.applications[second]["status"] == "rejected"
    assert fake.applications[other_cohort]["status"] == "pending"
    assert fake.applications[by_trn]["status"] == "rejected"

    fake.applications[by_trn]["status"] = "pending"  # as if DfE reopened it
    with pytest.raises(
        DfeRefused,
        match=r"^DfE refused the acceptance of the application: Application: The participant "
        r"has already had an application accepted for this course\.$",
    ) as raised:
        _accept(client, by_trn, funded_place=True)
    assert raised.value.status == 422
    with pytest.raises(DfeRefused, match="This NPQ application has already been accepted"):
        _accept(client, first, funded_place=True)
    with pytest.raises(DfeRefused, match="This NPQ application has already been rejected"):
        _accept(client, second, funded_place=True)


def test_funded_place_rules_on_accept(fake, client):
    capped = fake.add_application(cohort="2025", teacher_reference_number="6000001")
    ineligible = fake.add_application(
        cohort="2025", eligible_for_funding=False, teacher_reference_number="6000002"
    )
    uncapped = fake.add_application(cohort="2023", teacher_reference_number="6000003")

    with pytest.raises(DfeRefused, match=r"Funded place: Set '#/funded_place' to true or false\."):
        client.post(f"{APPLICATIONS}/{capped}/accept")
    with pytest.raises(DfeRefused, match="not eligible for funding, so '#/funded_place' cannot"):
        _accept(client, ineligible, funded_place=True)

    assert _accept(client, ineligible, funded_place=False)["attributes"]["funded_place"] is False
    assert _accept(client, uncapped, funded_place=True)["attributes"]["funded_place"] is None


def _change_funded_place(client, application_id, funded_place):
    body = {
        "data": {
            "type": "npq-application-change-funded-place",
            "attributes": {"funded_place": funded_place},
        }
    }
    return client.put(f"{APPLICATIONS}/{application_id}/change-funded-place", body)["data"]


def test_change_funded_place_only_on_an_accepted_capped_application_without_declarations(
    fake, client, enrolled
):
    participant_id, partner_id = enrolled
    declared = next(iter(fake.applications))
    pending = fake.add_application(teacher_reference_number="6100001")
    ineligible = fake.add_application(
        eligible_for_funding=False, teacher_reference_number="6100002"
    )
    uncapped = fake.add_application(cohort="2023", teacher_reference_number="6100003")
    for application_id in (ineligible, uncapped):
        _accept(client, application_id, funded_place=False)

    changed = _change_funded_place(client, declared, False)
    assert changed["attributes"]["funded_place"] is False
    assert fake.applications[declared]["funded_place"] is False
    with pytest.raises(DfeRefused, match="You must accept the application before"):
        _change_funded_place(client, pending, True)
    with pytest.raises(DfeRefused, match="This participant is not eligible for funding"):
        _change_funded_place(client, ineligible, True)
    with pytest.raises(DfeRefused, match="only needed for participants starting NPQs from autumn"):
        _change_funded_place(client, uncapped, False)
    # The portal's client never sends this (the spec requires funded_place): straight to the fake.
    missing = fake.handle(
        httpx.Request(
            "PUT",
            f"{BASE_URL}{APPLICATIONS}/{declared}/change-funded-place",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"data": {"type": "npq-application-change-funded-place", "attributes": {}}},
        )
    )
    assert missing.status_code == 422
    assert "'#/funded_place' is missing from your request" in missing.text

    declaration = _declare(client, participant_id, delivery_partner_id=partner_id)
    with pytest.raises(DfeRefused, match="void the existing declarations and resubmit") as refused:
        _change_funded_place(client, declared, True)
    assert refused.value.status == 422
    client.put(f"{DECLARATIONS}/{declaration['id']}/void")
    assert _change_funded_place(client, declared, True)["attributes"]["funded_place"] is True


def test_reject_a_pending_or_an_undeclared_accepted_application_only(fake, client, enrolled):
    participant_id, partner_id = enrolled
    declared = fake.applications[next(iter(fake.applications))]["id"]
    pending = fake.add_application(teacher_reference_number="7000001")
    undeclared = fake.add_application(teacher_reference_number="7000002")
    _accept(client, undeclared, funded_place=True)
    _declare(client, participant_id, delivery_partner_id=partner_id)

    rejected = client.post(f"{APPLICATIONS}/{pending}/reject")["data"]
    assert rejected["attributes"]["status"] == "rejected"
    assert rejected["attributes"]["reason_for_rejection"] == "rejected_by_provider"
    assert client.post(f"{APPLICATIONS}/{undeclared}/reject")["data"]["attributes"]["status"] == (
        "rejected"
    )
    with pytest.raises(DfeRefused, match="Once accepted an application cannot change state"):
        client.post(f"{APPLICATIONS}/{declared}/reject")
    with pytest.raises(DfeRefused, match="already been rejected"):
        client.post(f"{APPLICATIONS}/{pending}/reject")


# ---- declarations -----------------------------------------------------------------------


def test_a_new_declaration_is_eligible_on_a_funded_place_and_submitted_otherwise(fake, client):
    partner_id = fake.add_delivery_partner(cohorts=("2025",))
    funded = fake.add_application(teacher_reference_number="8000001")
    unfunded = fake.add_application(teacher_reference_number="8000002")
    _accept(client, funded, funded_place=True)
    _accept(client, unfunded, funded_place=False)

    states = [
        _declare(client, fake.applications[app]["participant_id"], delivery_partner_id=partner_id)[
            "attributes"
        ]["state"]
        for app in (funded, unfunded)
    ]

    assert states == ["eligible", "submitted"]


def test_a_duplicate_billable_declaration_is_refused_until_the_first_is_voided(client, enrolled):
    participant_id, partner_id = enrolled
    first = _declare(client, participant_id, delivery_partner_id=partner_id)

    with pytest.raises(
        DfeRefused,
        match=r"^DfE refused the declaration: A declaration has already been submitted "
        r"that will be, or has been, paid for this event$",
    ):
        _declare(client, participant_id, delivery_partner_id=partner_id)

    client.put(f"{DECLARATIONS}/{first['id']}/void")
    again = _declare(client, participant_id, delivery_partner_id=partner_id)
    assert again["attributes"]["state"] == "eligible"
    assert _declare(client, participant_id, "retained-1", delivery_partner_id=partner_id)


def test_declaration_date_must_be_rfc3339_and_not_in_the_future(fake, client, enrolled):
    participant_id, partner_id = enrolled

    with pytest.raises(DfeRefused, match="'#/declaration_date' value cannot be a future date"):
        _declare(
            client, participant_id, declaration_date="2026-12-06T09:00:00Z",
            delivery_partner_id=partner_id,
        )  # fmt: skip
    later(fake, days=2)  # "now" is the fake's clock
    assert _declare(
        client, participant_id, declaration_date="2026-12-06T09:00:00Z",
        delivery_partner_id=partner_id,
    )  # fmt: skip

    response = fake.handle(
        httpx.Request(
            "POST",
            f"{BASE_URL}{DECLARATIONS}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={
                "data": {
                    "type": "participant-declaration",
                    "attributes": {
                        "participant_id": participant_id,
                        "declaration_type": "retained-1",
                        "declaration_date": "2026-10-06",
                        "course_identifier": COURSE,
                        "delivery_partner_id": partner_id,
                    },
                }
            },
        )
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"title": "declaration_date", "detail": "Enter a valid RCF3339 '#/declaration_date'."}
    ]


def test_completed_needs_has_passed_except_for_ehco_and_aso(fake, client):
    partner_id = fake.add_delivery_partner(cohorts=("2025",))
    leadership = fake.add_application(teacher_reference_number="8100001")
    ehco = fake.add_application(
        course_identifier="npq-early-headship-coaching-offer", teacher_reference_number="8100002"
    )
    for application_id in (leadership, ehco):
        _accept(client, application_id, funded_place=True)

    def completed(application_id, **attributes):
        application = fake.applications[application_id]
        body = {
            "data": {
                "type": "participant-declaration",
                "attributes": {
                    "participant_id": application["participant_id"],
                    "declaration_type": "completed",
                    "declaration_date": "2026-11-20T09:00:00Z",
                    "course_identifier": application["course_identifier"],
                    "delivery_partner_id": partner_id,
                    **attributes,
                },
            }
        }
        request = httpx.Request(
            "POST",
            f"{BASE_URL}{DECLARATIONS}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json=body,
        )  # straight to the fake: the client would refuse this before sending
        return fake.handle(request)

    refused = completed(leadership)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["title"] == "has_passed"
    assert completed(ehco).status_code == 200
    passed = completed(leadership, has_passed=True)
    assert passed.status_code == 200
    assert passed.json()["data"]["attributes"]["has_passed"] is True


def test_delivery_partner_rules_from_the_2024_cohort(fake, client):
    partner_id = fake.add_delivery_partner(cohorts=("2025",))
    other_cohort_partner = fake.add_delivery_partner("South Hub", cohorts=("2024",))
    inside = fake.add_application(teacher_reference_number="8200001")
    outside = fake.add_application(teacher_catchment=False, teacher_reference_number="8200002")
    older = fake.add_application(cohort="2023", teacher_reference_number="8200003")
    for application_id in (inside, outside, older):
        _accept(client, application_id, funded_place=True)

    def participant(application_id):
        return fake.applications[application_id]["participant_id"]

    with pytest.raises(DfeRefused, match="'#/delivery_partner_id' must be present"):
        _declare(client, participant(inside))
    with pytest.raises(DfeRefused, match="not from your list of confirmed Delivery Partners"):
        _declare(client, participant(inside), delivery_partner_id=other_cohort_partner)
    with pytest.raises(DfeRefused, match="must differ"):
        _declare(
            client, participant(inside), delivery_partner_id=partner_id,
            secondary_delivery_partner_id=partner_id,
        )  # fmt: skip
    with pytest.raises(DfeRefused, match="must not be present"):
        _declare(client, participant(outside), delivery_partner_id=partner_id)

    declared = _declare(client, participant(inside), delivery_partner_id=partner_id)
    assert declared["attributes"]["delivery_partner_name"] == "North Hub"
    assert _declare(client, participant(outside))["attributes"]["delivery_partner_id"] is None
    older_one = _declare(client, participant(older), course_identifier=COURSE)
    assert older_one["attributes"]["state"] == "eligible"  # before capping: by eligibility


def test_void_then_void_again_is_refused_and_paid_goes_to_clawback(fake, client, enrolled):
    participant_id, partner_id = enrolled
    statement_id = fake.add_statement(cohort="2025")
    clawback_statement = fake.add_statement(cohort="2025", month="February")
    started = _declare(client, participant_id, delivery_partner_id=partner_id)
    retained = _declare(client, participant_id, "retained-1", delivery_partner_id=partner_id)

    voided = client.put(f"{DECLARATIONS}/{started['id']}/void")["data"]
    assert voided["attributes"]["state"] == "voided"
    with pytest.raises(
        DfeRefused,
        match=r"^DfE refused voiding the declaration: Declaration: This declaration has already "
        r"been voided\.$",
    ):
        client.put(f"{DECLARATIONS}/{started['id']}/void")

    fake.set_declaration_state(retained["id"], "payable", statement_id=statement_id)
    fake.set_declaration_state(retained["id"], "paid")
    fake.statements[statement_id]["paid"] = True
    paid = client.get(f"{DECLARATIONS}/{retained['id']}")["data"]["attributes"]
    assert (paid["state"], paid["statement_id"]) == ("paid", statement_id)

    clawed = client.put(f"{DECLARATIONS}/{retained['id']}/void")["data"]["attributes"]
    assert clawed["state"] == "awaiting_clawback"
    assert clawed["clawback_statement_id"] == clawback_statement
    with pytest.raises(DfeRefused, match="already been voided"):
        client.put(f"{DECLARATIONS}/{retained['id']}/void")


def test_declarations_list_filters_by_participant_and_updated_since(fake, client, enrolled):
    participant_id, partner_id = enrolled
    first = _declare(client, participant_id, delivery_partner_id=partner_id)
    since = later(fake, hours=1)
    second = _declare(client, participant_id, "retained-1", delivery_partner_id=partner_id)

    everyone = client.get(DECLARATIONS, {"filter[participant_id]": participant_id})["data"]
    recent = client.get(DECLARATIONS, {"filter[updated_since]": since.isoformat()})["data"]

    assert [item["id"] for item in everyone] == [first["id"], second["id"]]
    assert [item["id"] for item in recent] == [second["id"]]
    assert client.get(DECLARATIONS, {"filter[participant_id]": UNKNOWN_ID})["data"] == []


def test_another_providers_declaration_on_a_transferred_application_is_listed_not_voidable(
    fake, client, enrolled
):
    participant_id, partner_id = enrolled
    theirs = fake.add_other_providers_declaration(participant_id=participant_id)
    ours = _declare(client, participant_id, delivery_partner_id=partner_id)  # not a duplicate

    listed = client.get(DECLARATIONS, {"filter[participant_id]": participant_id})["data"]
    in_cohort = client.get(DECLARATIONS, {"filter[cohort]": "2025"})["data"]

    assert [item["id"] for item in listed] == [theirs, ours["id"]]
    assert [item["id"] for item in in_cohort] == [theirs, ours["id"]]
    other = listed[0]["attributes"]
    assert other["lead_provider_name"] == "Best Practice Network"
    assert other["application_id"] != ours["attributes"]["application_id"]
    assert (other["declaration_type"], other["state"]) == ("started", "paid")
    with pytest.raises(DfeForbidden, match="Cannot modify declaration"):
        client.put(f"{DECLARATIONS}/{theirs}/void")


# ---- participants -----------------------------------------------------------------------


def test_withdraw_before_a_started_declaration_is_refused(client, enrolled):
    participant_id, partner_id = enrolled

    with pytest.raises(
        DfeRefused,
        match=r"^DfE refused the withdrawal: Participant: An NPQ participant who has not got "
        r"a started declaration cannot be withdrawn\.",
    ):
        _participant_action(client, participant_id, "withdraw", reason="personal-reason-other")

    _declare(client, participant_id, delivery_partner_id=partner_id)
    withdrawn = _participant_action(
        client, participant_id, "withdraw", reason="quality-of-programme-structure-not-suitable."
    )
    (enrolment,) = withdrawn["attributes"]["npq_enrolments"]
    assert enrolment["training_status"] == "withdrawn"
    assert enrolment["withdrawal"] == {
        "reason": "quality-of-programme-structure-not-suitable.",
        "date": "2026-12-05T09:00:00Z",
    }
    with pytest.raises(DfeRefused, match="already withdrawn"):
        _participant_action(client, participant_id, "withdraw", reason="other")


def test_defer_needs_a_declaration_and_resume_fails_when_active(client, enrolled):
    participant_id, partner_id = enrolled

    with pytest.raises(
        DfeRefused, match="cannot defer an NPQ participant that has no declarations"
    ):
        _participant_action(client, participant_id, "defer", reason="parental-leave")
    with pytest.raises(DfeRefused, match="The participant is already active"):
        _participant_action(client, participant_id, "resume")

    _declare(client, participant_id, delivery_partner_id=partner_id)
    deferred = _participant_action(client, participant_id, "defer", reason="parental-leave")
    assert deferred["attributes"]["npq_enrolments"][0]["deferral"]["reason"] == "parental-leave"
    resumed = _participant_action(client, participant_id, "resume")
    assert resumed["attributes"]["npq_enrolments"][0]["training_status"] == "active"


def test_participants_list_pages_and_follows_updated_since(fake, client, enrolled):
    participant_id, _ = enrolled
    pending_only = fake.add_application(teacher_reference_number="9000001")

    listed = client.get(PARTICIPANTS)["data"]
    assert [item["id"] for item in listed] == [participant_id]  # accepted places only
    later(fake, hours=1)
    assert client.get(PARTICIPANTS, {"filter[updated_since]": fake.now.isoformat()})["data"] == []
    with pytest.raises(DfeNotFound):
        client.get(f"{PARTICIPANTS}/{fake.applications[pending_only]['participant_id']}")


# ---- outcomes ---------------------------------------------------------------------------


def test_an_outcome_needs_a_completed_declaration_and_a_repost_returns_the_latest(
    fake, client, enrolled
):
    participant_id, partner_id = enrolled

    with pytest.raises(
        DfeRefused,
        match=r"^DfE refused the outcome: The participant has not had a 'completed' "
        r"declaration submitted for them\.",
    ):
        _outcome(client, participant_id)

    completed = _declare(
        client, participant_id, "completed", has_passed=False, delivery_partner_id=partner_id,
        declaration_date="2026-11-20T09:00:00Z",
    )  # fmt: skip
    (failed,) = client.get(f"{PARTICIPANTS}/{participant_id}/outcomes")["data"]
    assert failed["attributes"]["state"] == "failed"
    assert failed["attributes"]["completion_date"] == "2026-11-20"

    passed = _outcome(client, participant_id, "passed", "2026-11-30")
    assert _outcome(client, participant_id, "passed", "2026-11-30")["id"] == passed["id"]
    assert len(fake.outcomes) == 2

    client.put(f"{DECLARATIONS}/{completed['id']}/void")
    outcomes = client.get("/api/v3/participants/npq/outcomes")["data"]
    assert [outcome["attributes"]["state"] for outcome in outcomes] == [
        "failed",
        "passed",
        "voided",
    ]
    with pytest.raises(DfeRefused, match="has not had a 'completed' declaration"):
        _outcome(client, participant_id)


# ---- statements and delivery partners ---------------------------------------------------


def test_statements_and_delivery_partners_by_cohort(fake, client):
    statement_2025 = fake.add_statement(cohort="2025")
    fake.add_statement(cohort="2024")
    hub = fake.add_delivery_partner("North Hub", ("2025",))
    fake.add_delivery_partner("Another Hub", ("2024",))

    statements = client.get("/api/v3/statements", {"filter[cohort]": "2025"})["data"]
    partners = client.get("/api/v3/delivery-partners", {"filter[cohort]": "2025"})["data"]

    assert [item["id"] for item in statements] == [statement_2025]
    assert [item["id"] for item in partners] == [hub]
    assert client.get(f"/api/v3/delivery-partners/{hub}")["data"]["attributes"]["name"] == (
        "North Hub"
    )
    assert client.get(f"/api/v3/statements/{statement_2025}")["data"]["attributes"]["paid"] is False


# ---- status codes as DfE sends them -----------------------------------------------------


def test_a_wrong_or_missing_token_is_401(fake):
    for headers in ({"Authorization": "Bearer wrong"}, {}):
        request = httpx.Request("GET", f"{BASE_URL}{APPLICATIONS}", headers=headers)
        response = fake.handle(request)
        assert (response.status_code, response.json()) == (
            401,
            {"error": "HTTP Token: Access denied"},
        )

    with (
        DfeClient(BASE_URL, "wrong", transport=httpx.MockTransport(fake.handle)) as client,
        pytest.raises(DfeUnauthorised, match=r"\(HTTP Token: Access denied\)"),
    ):
        client.get(APPLICATIONS)


def test_an_unknown_id_is_404(client):
    for path in (
        f"{APPLICATIONS}/{UNKNOWN_ID}",
        f"{PARTICIPANTS}/{UNKNOWN_ID}",
        f"{DECLARATIONS}/{UNKNOWN_ID}",
        f"/api/v3/statements/{UNKNOWN_ID}",
    ):
        with pytest.raises(
            DfeNotFound,
            match=r"^DfE has no such record \(the application, participant or declaration may",
        ):
            client.get(path)
    with pytest.raises(DfeNotFound):
        client.post(f"{APPLICATIONS}/{UNKNOWN_ID}/reject")


def test_a_retired_participant_id_is_410_with_its_replacement(fake, client, enrolled):
    participant_id, _ = enrolled
    new_id = fake.retire_participant(participant_id)

    with pytest.raises(DfeGone, match="Participant ID has been changed") as raised:
        client.get(f"{PARTICIPANTS}/{participant_id}")

    (change,) = raised.value.participant_id_changes
    assert (change["from_participant_id"], change["to_participant_id"]) == (participant_id, new_id)
    current = client.get(f"{PARTICIPANTS}/{new_id}")["data"]["attributes"]
    assert current["participant_id_changes"] == [change]
    assert current["npq_enrolments"][0]["training_status"] == "active"
    listed = client.get(PARTICIPANTS, {"filter[from_participant_id]": participant_id})["data"]
    assert [item["id"] for item in listed] == [new_id]


def test_a_429_is_retried_after_retry_after_and_counted(fake, client, sleeps):
    application_id = fake.add_application()
    fake.rate_limit_next(2, retry_after=3)

    accepted = _accept(client, application_id, funded_place=True)

    assert accepted["attributes"]["status"] == "accepted"
    assert sleeps == [3.0, 3.0]
    calls = fake.calls_to("POST", r"/accept")
    assert [call.status for call in calls] == [429, 429, 200]
    assert calls[-1].body == {
        "data": {"type": "npq-application-accept", "attributes": {"funded_place": True}}
    }

    fake.rate_limit_next(3)
    with pytest.raises(DfeRateLimited):
        client.get(APPLICATIONS)


def test_the_call_log_shows_exactly_one_call(fake, client):
    application_id = fake.add_application()

    client.post(f"{APPLICATIONS}/{application_id}/reject")

    assert [(call.method, call.path, call.body, call.status) for call in fake.calls] == [
        ("POST", f"{APPLICATIONS}/{application_id}/reject", None, 200)
    ]


# ---- the fake keeps to the spec ---------------------------------------------------------


def test_every_response_in_a_full_journey_matches_the_spec(fake, client):
    """A journey through every endpoint the fake serves, each answer re-checked here."""
    checked = []

    def checking(request):
        response = fake.handle(request)
        response.read()
        assert spec_errors(request, response) == []
        checked.append(response.status_code)
        return response

    with DfeClient(BASE_URL, TOKEN, transport=httpx.MockTransport(checking), sleep=id) as c:
        partner_id = fake.add_delivery_partner(cohorts=("2025",))
        statement_id = fake.add_statement()
        application_id = fake.add_application()
        participant_id = _accept(c, application_id, funded_place=True)["attributes"][
            "participant_id"
        ]
        _change_funded_place(c, application_id, False)
        _change_funded_place(c, application_id, True)
        declaration = _declare(c, participant_id, delivery_partner_id=partner_id)
        fake.set_declaration_state(declaration["id"], "payable", statement_id=statement_id)
        _declare(
            c, participant_id, "completed", has_passed=True, delivery_partner_id=partner_id,
            declaration_date="2026-11-20T09:00:00Z",
        )  # fmt: skip
        _outcome(c, participant_id, "passed", "2026-11-21")
        _participant_action(c, participant_id, "defer", reason="career-break")
        _participant_action(c, participant_id, "resume")
        _participant_action(c, participant_id, "withdraw", reason="change-in-career")
        for path in (
            APPLICATIONS,
            f"{APPLICATIONS}/{application_id}",
            PARTICIPANTS,
            f"{PARTICIPANTS}/{participant_id}",
            f"{PARTICIPANTS}/{participant_id}/outcomes",
            "/api/v3/participants/npq/outcomes",
            DECLARATIONS,
            f"{DECLARATIONS}/{declaration['id']}",
            "/api/v3/statements",
            f"/api/v3/statements/{statement_id}",
            "/api/v3/delivery-partners",
            f"/api/v3/delivery-partners/{partner_id}",
        ):
            assert c.get(path)["data"]
        c.put(f"{DECLARATIONS}/{declaration['id']}/void")
        for call in (
            lambda: c.put(f"{DECLARATIONS}/{declaration['id']}/void"),
            lambda: c.get(f"{APPLICATIONS}/{UNKNOWN_ID}"),
            lambda: c.get(APPLICATIONS, {"filter[updated_since]": "soon"}),
        ):
            with pytest.raises(Exception):  # noqa: B017, PT011 - 422, 404, 400 each
                call()
        fake.retire_participant(participant_id)
        with pytest.raises(DfeGone):
            c.get(f"{PARTICIPANTS}/{participant_id}")
        fake.rate_limit_next(1)
        c.get(APPLICATIONS)

    assert {200, 400, 404, 410, 422, 429} <= set(checked)


def test_the_fake_refuses_to_send_a_response_that_breaks_the_spec(fake, client):
    application_id = fake.add_application()
    fake.applications[application_id]["status"] = "withdrawn-by-magic"

    with pytest.raises(AssertionError, match="breaks DfE's spec"):
        client.get(f"{APPLICATIONS}/{application_id}")


def test_a_null_in_a_nullable_enum_is_valid_and_a_null_elsewhere_is_not(fake):
    """DfE sends null for a pending application's schedule_identifier (spec patch 8)."""
    application_id = fake.add_application()
    request = httpx.Request(
        "GET", f"{BASE_URL}{APPLICATIONS}/{application_id}", headers={"Authorization": "Bearer x"}
    )
    body = fake.handle(
        httpx.Request(
            "GET",
            f"{BASE_URL}{APPLICATIONS}/{application_id}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    ).json()
    assert body["data"]["attributes"]["schedule_identifier"] is None
    assert spec_errors(request, httpx.Response(200, json=body)) == []

    body["data"]["attributes"]["course_identifier"] = None  # not nullable: still refused
    assert any(
        "course_identifier" in error
        for error in spec_errors(request, httpx.Response(200, json=body))
    )


def test_the_fake_starts_its_clock_at_a_fixed_now():
    assert FakeDfe().now == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
