"""The connection to DfE: its token (encrypted, never shown or logged), a client, the sync log.

`connection_client(connection=…)` is how every other module reaches DfE: it decrypts the token
(or reads it from the environment), spaces requests under DfE's rate limit, and writes each
call to the sync log (`Call`). Whether the portal talks to DfE at all is
`connection_for_cohort`: only for a switched-on connection that covers the cohort's DfE cohort
and course. A change owed for a record DfE already holds is queued whenever its own connection
covers the cohort (`connection_covers`), switched on or not: it goes once the connection is on.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection as database
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from npq_portal.prepared import fixed_objects, fixed_rows, prepared_execute
from programmes.models import Programme

from .client import CallRecord, DfeClient, DfeError
from .models import (
    FAKE_URL,
    PRODUCTION_URL,
    SANDBOX_URL,
    Call,
    Connection,
    DeliveryPartnerLink,
    Sync,
)

logger = logging.getLogger(__name__)

# DfE's NPQ cohorts start in 2021; a year past the next one is a typing mistake.
FIRST_COHORT_YEAR = 2021
# Before any pull: where a list has never been pulled successfully, every failure counts.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)
# A token read from the environment comes from a variable meant for it, never another secret.
ENV_VAR_NAME = re.compile(r"^DFE_TOKEN_[A-Z0-9_]+$")
ENV_VAR_RULE = (
    "The environment variable holding the token must be named DFE_TOKEN_ and then capital "
    "letters, digits or underscores, e.g. DFE_TOKEN_AMBITION."
)


def connection_addresses() -> list[str]:
    """The addresses a connection may send its token to: DfE's sandbox and production, and
    the demo's fake DfE where there is one."""
    addresses = [SANDBOX_URL, PRODUCTION_URL]
    if settings.DFE["fake_state"]:
        addresses.append(FAKE_URL)
    return addresses


def _address(base_url: str) -> str:
    return base_url.strip().rstrip("/").removesuffix("/api/v3")


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
        if not ENV_VAR_NAME.match(connection.token_env_var):  # saved before the rule
            logger.error(
                "Connection %s names an environment variable not meant for it", connection.pk
            )
            return ""
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
    *,
    connection: Connection,
    token: str = "",
    clear_token: bool = False,
    programmes: Iterable[Programme] | None = None,
) -> Connection:
    """Save the connection's settings; a new `token` replaces the stored one (encrypted).

    A token is never shown again once saved. `programmes`, when given, become the NPQs it
    covers. The address must be DfE's sandbox or production (or the demo's fake DfE, where
    there is one), and a token read from the environment must come from a DFE_TOKEN_…
    variable, so the token goes nowhere else and no other secret is sent. Changing the address
    removes the stored token unless a new one is given. Raises ValidationError for any other
    address, variable name, a cohort that is not a start year, a programme without a DfE
    course identifier, or switching on without a token.
    """
    token = token.strip()
    connection.base_url = _address(connection.base_url)
    if urlsplit(connection.base_url).scheme != "https":
        raise ValidationError(
            "DfE's API address must start with https://, or the token would travel in clear."
        )
    if connection.base_url == FAKE_URL and not settings.DFE["fake_state"]:
        raise ValidationError(
            f"{FAKE_URL} is the demo's fake DfE, which only a developer's machine has."
        )
    if connection.base_url not in connection_addresses():
        raise ValidationError(
            f"The token is only sent to DfE: choose DfE's sandbox ({SANDBOX_URL}) or its "
            f"production service ({PRODUCTION_URL})."
        )
    connection.token_env_var = connection.token_env_var.strip()
    if connection.token_env_var and not ENV_VAR_NAME.match(connection.token_env_var):
        raise ValidationError(ENV_VAR_RULE)
    if connection.pk and not token and connection.token_encrypted:
        saved_address = (
            Connection.objects.filter(pk=connection.pk).values_list("base_url", flat=True).first()
        )
        if saved_address is not None and _address(saved_address) != connection.base_url:
            # The token was given for the old address: it does not follow the connection.
            clear_token = True
            if connection.enabled and not connection.token_env_var:
                raise ValidationError(
                    "The stored token is removed when the address changes: enter the token "
                    "for the new address, or switch the connection off."
                )
    connection.cohort_years = _cohort_years(connection.cohort_years)
    if token:
        if any(character.isspace() for character in token):
            raise ValidationError("A DfE token has no spaces in it; paste it again.")
        connection.token_encrypted = token_encrypt(token)
        connection.token_env_var = ""
    elif clear_token or connection.token_env_var:
        # A token read from the environment replaces the stored one: keep no unused secret.
        connection.token_encrypted = ""
    if connection.enabled and not connection.has_token:
        raise ValidationError("Give the connection a token before switching it on.")
    if programmes is not None:
        programmes = list(programmes)
        without = [programme.name for programme in programmes if not programme.course_identifier]
        if without:
            raise ValidationError(
                f"{', '.join(without)} {'has' if len(without) == 1 else 'have'} no DfE course "
                "identifier: add it to the programme first."
            )
    connection.save()
    if programmes is not None:
        connection.programmes.set(programmes)
    return connection


def _cohort_years(years: Iterable) -> list[int]:
    """DfE cohorts as sorted start years; ValidationError naming any that is not one."""
    latest = timezone.localdate().year + 5
    cleaned, wrong = set(), []
    for year in years:
        try:
            number = int(str(year).strip())
        except ValueError:
            wrong.append(str(year))
            continue
        if FIRST_COHORT_YEAR <= number <= latest:
            cleaned.add(number)
        else:
            wrong.append(str(year))
    if wrong:
        raise ValidationError(
            f"A DfE cohort is the year it starts, from {FIRST_COHORT_YEAR} to {latest} "
            f"(e.g. 2025); {', '.join(wrong)} is not one."
        )
    return sorted(cleaned)


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
            ids=call.ids[:300],
        )

    return record


def _transport_for(connection: Connection) -> httpx.BaseTransport | None:
    if connection.base_url.rstrip("/") != FAKE_URL:
        return None
    from dfe.fake import fake_transport  # noqa: PLC0415  the demo's fake, loaded only when used

    return fake_transport(settings.DFE["fake_state"])


def connection_client(*, connection: Connection, transport=None, sleep=None) -> DfeClient:
    """A client for this connection, writing every call to the sync log.

    Raises ValidationError when the connection has no token it can use, or an address that is
    not DfE's (saved before addresses were checked).
    """
    if _address(connection.base_url) not in connection_addresses():
        raise ValidationError(
            f"{connection} has an address that is not DfE's: choose DfE's sandbox or its "
            "production service and save it again."
        )
    token = connection_token(connection)
    if not token:
        raise ValidationError(
            f"{connection} has no token it can use: enter the token again, or set "
            f"{connection.token_env_var or 'its environment variable'}."
        )
    extra = {"sleep": sleep} if sleep is not None else {}
    is_fake = connection.base_url.rstrip("/") == FAKE_URL
    try:
        return DfeClient(
            connection.base_url,
            token,
            transport=transport if transport is not None else _transport_for(connection),
            on_call=_call_recorder(connection),
            # DfE's rate limit is DfE's: the demo's fake has none to keep to.
            min_interval=0 if is_fake else settings.DFE["min_interval_seconds"],
            **extra,
        )
    except ValueError as error:  # an address that is not https (saved before it was checked)
        raise ValidationError(str(error)) from None


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
    connection.tested_at, connection.test_ok, connection.test_message = (
        timezone.now(),
        ok,
        message[:500],
    )
    Connection.objects.filter(pk=connection.pk).update(
        tested_at=connection.tested_at, test_ok=ok, test_message=connection.test_message
    )
    logger.info("DfE connection %s tested: %s", connection.pk, "ok" if ok else "failed")
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
    and DfE must have linked it to the lead provider for that cohort. Raises ValidationError
    otherwise, or when the connection does not cover that cohort.
    """
    if cohort_year not in connection.cohort_years:
        raise ValidationError(
            f"{connection.name} does not cover the {cohort_year} cohort: add the cohort to the "
            "connection first."
        )
    try:
        partner_id = str(uuid.UUID(str(partner_id)))
    except ValueError:
        raise ValidationError("Choose one of the delivery partners DfE lists for you.") from None
    chosen = next(
        (partner for partner in partners if str(partner["id"]).lower() == partner_id), None
    )
    if chosen is None:
        raise ValidationError("Choose one of the delivery partners DfE lists for you.")
    # A partner DfE lists with no cohorts is linked to none: it cannot stand for the hub.
    if cohort_year not in chosen["cohorts"]:
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


def connection_covers(connection: Connection, cohort) -> bool:
    """Whether the connection covers this portal cohort (its DfE cohort and course), switched on
    or not: a change owed to DfE while it is off waits in the outbox until it is on again."""
    return (
        bool(cohort.programme.course_identifier)
        and cohort.academic_year in connection.cohort_years
        and connection.programmes.filter(pk=cohort.programme_id).exists()
    )


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
    """When pulling from DfE started failing, if a pull has failed for longer than
    `failing_after` with no success since.

    Each list (applications, participants, …) of each switched-on connection counts on its
    own: its failures after its last successful pull. The answer is the first of those, and
    None when there is none or it is more recent than `failing_after`. One query, whatever the
    number of pulls: each list's last success is read once, along its index, and only the
    pulls after it are read.
    """
    now = now or timezone.now()
    sql, params = _failing_sql(database.vendor)
    with database.cursor() as cursor:
        prepared_execute(cursor, sql, params)  # planned once a connection: most of its cost
        found = [_moment(first) for row in cursor.fetchall() for first in row if first]
    first = min(found, default=None)
    if first is not None and now - first > settings.DFE["failing_after"]:
        return first
    return None


@functools.cache
def _failing_sql(vendor: str) -> tuple[str, tuple]:
    """For each switched-on connection, each list's first failed pull after its last
    successful one: composed once, as composing its ten subqueries with the ORM on every page
    cost three times what running them does."""
    firsts = {}
    for kind in Sync.Kind.values:
        last_ok = (
            Sync.objects.filter(connection=OuterRef(OuterRef("pk")), kind=kind, succeeded=True)
            .order_by("-started_at")
            .values("started_at")[:1]
        )
        firsts[f"first_failure_{kind}"] = Subquery(
            Sync.objects.filter(
                connection=OuterRef("pk"),
                kind=kind,
                succeeded=False,
                started_at__gt=Coalesce(Subquery(last_ok), Value(NEVER)),
            )
            .order_by("started_at")
            .values("started_at")[:1]
        )
    rows = Connection.objects.switched_on().annotate(**firsts).values_list(*firsts)
    return rows.query.sql_with_params()


def _moment(value: datetime | str) -> datetime:
    """A time as the driver returns it: aware (PostgreSQL), or text in UTC (SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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


def switched_on_connections() -> list[Connection]:
    """The connections staff have switched on, by name: one fixed query (npq_portal.prepared),
    as the pages exchanging with DfE read them on every visit."""
    return fixed_objects(_switched_on)


def _switched_on():
    return Connection.objects.switched_on()


def connection_with_last_pull(pk: int) -> Connection | None:
    """The connection `pk` with `last_pull_at` (ConnectionQuerySet.with_last_pull), or None:
    one fixed query (npq_portal.prepared). Composing the query with its subquery cost its
    settings page about twice what PostgreSQL takes to run it."""
    found = fixed_objects(_connection_with_last_pull, int(pk))
    return found[0] if found else None


def _connection_with_last_pull(pk: int):
    return Connection.objects.with_last_pull().filter(pk=pk)


def connection_programme_ids(pk: int) -> list[int]:
    """The ids of the programmes the connection `pk` covers: one fixed query."""
    return [programme_id for (programme_id,) in fixed_rows(_connection_programme_ids, int(pk))]


def _connection_programme_ids(pk: int):
    through = Connection.programmes.through
    return (
        through.objects.filter(connection_id=pk)
        .order_by("programme_id")
        .values_list("programme_id")
    )
