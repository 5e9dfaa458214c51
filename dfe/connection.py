"""The connection to DfE: its token (encrypted, never shown or logged), a client, the sync log.

`connection_client(connection=…)` is how every other module reaches DfE: it decrypts the token
(or reads it from the environment), spaces requests under DfE's rate limit, and writes each
call to the sync log (`Call`). Whether the portal talks to DfE at all is
`connection_for_cohort`: only for a switched-on connection that covers the cohort's DfE cohort
and course.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from datetime import UTC, datetime

import httpx
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .client import CallRecord, DfeClient, DfeError
from .models import Call, Connection, DeliveryPartnerLink, Sync

logger = logging.getLogger(__name__)

# A connection at this address talks to the demo's fake DfE (dfe/fake.py), never to DfE.
FAKE_URL = "https://dfe-fake.localhost"


def _fernet() -> Fernet:
    key = settings.DFE["token_key"]
    if not key:
        digest = hashlib.sha256(f"dfe-token:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def token_encrypt(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def connection_token(connection: Connection) -> str:
    """The connection's token, or "" when it has none (or it cannot be read any more)."""
    if connection.token_env_var:
        return os.environ.get(connection.token_env_var, "").strip()
    if not connection.token_encrypted:
        return ""
    try:
        return _fernet().decrypt(connection.token_encrypted.encode()).decode()
    except InvalidToken:
        logger.error("The DfE token of connection %s cannot be decrypted", connection.pk)
        return ""


@transaction.atomic
def connection_save(
    *, connection: Connection, token: str = "", clear_token: bool = False
) -> Connection:
    """Save the connection's settings; a new `token` replaces the stored one (encrypted).

    A token is never shown again once saved. Refuses to switch on a connection with no token.
    """
    token = token.strip()
    if token:
        if any(character.isspace() for character in token):
            raise ValidationError("A DfE token has no spaces in it; paste it again.")
        connection.token_encrypted = token_encrypt(token)
        connection.token_env_var = ""
    elif clear_token:
        connection.token_encrypted = ""
    if connection.enabled and not connection.has_token:
        raise ValidationError("Give the connection a token before switching it on.")
    connection.cohort_years = sorted({int(year) for year in connection.cohort_years})
    connection.save()
    return connection


def _call_recorder(connection: Connection):
    def record(call: CallRecord) -> None:
        Call.objects.create(
            connection=connection,
            at=timezone.now(),
            method=call.method,
            path=call.path[:300],
            query=call.query[:300],
            status=call.status,
            failure=call.failure,
            duration_ms=call.duration_ms,
            attempt=call.attempt,
            error=call.error,
        )

    return record


def _transport_for(connection: Connection) -> httpx.BaseTransport | None:
    if connection.base_url.rstrip("/") != FAKE_URL:
        return None
    from dfe.fake import fake_transport  # noqa: PLC0415  the demo's fake, loaded only when used

    return fake_transport(settings.DFE["fake_state"])


def connection_client(*, connection: Connection, transport=None, sleep=None) -> DfeClient:
    """A client for this connection, writing every call to the sync log.

    Raises ValidationError when the connection has no token it can use.
    """
    token = connection_token(connection)
    if not token:
        raise ValidationError(
            f"{connection} has no token it can use: enter the token again, or set "
            f"{connection.token_env_var or 'its environment variable'}."
        )
    extra = {"sleep": sleep} if sleep is not None else {}
    return DfeClient(
        connection.base_url,
        token,
        transport=transport if transport is not None else _transport_for(connection),
        on_call=_call_recorder(connection),
        min_interval=settings.DFE["min_interval_seconds"],
        **extra,
    )


def connection_test(*, connection: Connection, transport=None) -> tuple[bool, str]:
    """Ask DfE for this lead provider's delivery partners; say in words whether it worked."""
    try:
        with connection_client(connection=connection, transport=transport) as client:
            partners = [
                row for page in client.list_pages("/api/v3/delivery-partners") for row in page
            ]
        ok = True
        message = (
            f"Connected to DfE ({connection.environment.lower()}): "
            f"{len(partners)} delivery partner{'' if len(partners) == 1 else 's'} found."
        )
    except (DfeError, ValidationError) as error:
        ok, message = False, _message(error)
    Connection.objects.filter(pk=connection.pk).update(
        tested_at=timezone.now(), test_ok=ok, test_message=message[:500]
    )
    return ok, message


def delivery_partners_fetch(*, connection: Connection, transport=None) -> list[dict]:
    """DfE's delivery partners for this lead provider: [{id, name, cohorts}], by name."""
    with connection_client(connection=connection, transport=transport) as client:
        rows = [row for page in client.list_pages("/api/v3/delivery-partners") for row in page]
    partners = [
        {
            "id": row["id"],
            "name": row["attributes"].get("name", ""),
            "cohorts": [int(year) for year in row["attributes"].get("cohort") or []],
        }
        for row in rows
    ]
    return sorted(partners, key=lambda partner: partner["name"].lower())


@transaction.atomic
def delivery_partner_set(
    *, connection: Connection, cohort_year: int, partner_id: str, partners: list[dict]
) -> DeliveryPartnerLink:
    """Record which of DfE's delivery partners stands for this hub in one DfE cohort.

    `partners` is what DfE listed (`delivery_partners_fetch`): the choice must be among them,
    and DfE must have linked it to the lead provider for that cohort.
    """
    chosen = next((partner for partner in partners if partner["id"] == partner_id), None)
    if chosen is None:
        raise ValidationError("Choose one of the delivery partners DfE lists for you.")
    if chosen["cohorts"] and cohort_year not in chosen["cohorts"]:
        raise ValidationError(
            f"DfE has not linked {chosen['name']} to {connection.name} for the {cohort_year} "
            "cohort; ask DfE to, or choose another."
        )
    link, _ = DeliveryPartnerLink.objects.update_or_create(
        connection=connection,
        cohort_year=cohort_year,
        defaults={"delivery_partner_id": partner_id, "name": chosen["name"]},
    )
    return link


def connection_for_cohort(cohort) -> Connection | None:
    """The switched-on connection covering this portal cohort (its DfE cohort and course)."""
    course = cohort.programme.course_identifier
    if not course:
        return None
    for connection in Connection.objects.switched_on().filter(programmes=cohort.programme_id):
        if cohort.academic_year in connection.cohort_years:
            return connection
    return None


def sync_failing_since(*, now: datetime | None = None) -> datetime | None:
    """When pulling from DfE started failing, if nothing has succeeded for `failing_after`.

    None when every switched-on connection pulled successfully within that time (or has not
    tried yet).
    """
    now = now or timezone.now()
    limit = settings.DFE["failing_after"]
    worst = None
    for connection in Connection.objects.switched_on():
        syncs = Sync.objects.filter(connection=connection)
        last_ok = syncs.filter(succeeded=True).order_by("-started_at").first()
        since = last_ok.started_at if last_ok else None
        failed = syncs.filter(succeeded=False)
        if since:
            failed = failed.filter(started_at__gt=since)
        first_failure = failed.order_by("started_at").first()
        if first_failure is None:
            continue
        failing_from = since or first_failure.started_at
        if now - failing_from > limit and (worst is None or failing_from < worst):
            worst = failing_from
    return worst


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def parse_dfe_time(value: str | None) -> datetime | None:
    """DfE's RFC 3339 time (with Z or an offset) as an aware datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
