"""The token goes to DfE only: no other address, no other environment variable, and not to a
new address with the token given for the old one (the reviewer's finding 6)."""

import httpx
import pytest
from django.core.exceptions import ValidationError

from dfe.connection import connection_save, connection_test, connection_token
from dfe.models import PRODUCTION_URL, SANDBOX_URL, Call, Connection

pytestmark = pytest.mark.django_db


def recording_transport(seen: list):
    return httpx.MockTransport(
        lambda request: (
            seen.append((request.url.host, request.headers["authorization"]))
            or httpx.Response(200, json={"data": []})
        )
    )


def test_the_token_env_var_may_not_name_a_server_secret_nor_the_address_any_host(monkeypatch):
    monkeypatch.setenv("DATABASE_PASSWORD", "s3cret-db-password")
    seen = []

    with pytest.raises(ValidationError, match="must be named DFE_TOKEN_"):
        connection_save(
            connection=Connection(
                name="LP", base_url=SANDBOX_URL, token_env_var="DATABASE_PASSWORD"
            )
        )
    with pytest.raises(ValidationError, match="only sent to DfE"):
        connection_save(
            connection=Connection(
                name="LP", base_url="https://attacker.example", token_env_var="DFE_TOKEN_LP"
            )
        )

    assert not Connection.objects.exists()
    assert seen == []


def test_a_connection_saved_before_the_rules_sends_nothing(monkeypatch):
    monkeypatch.setenv("DATABASE_PASSWORD", "s3cret-db-password")
    monkeypatch.setenv("DFE_TOKEN_LP", "real-dfe-token")
    elsewhere = Connection.objects.create(
        name="LP", base_url="https://attacker.example", token_env_var="DFE_TOKEN_LP"
    )
    wrong_variable = Connection.objects.create(
        name="LP2", base_url=SANDBOX_URL, token_env_var="DATABASE_PASSWORD"
    )
    seen = []

    first = connection_test(connection=elsewhere, transport=recording_transport(seen))
    second = connection_test(connection=wrong_variable, transport=recording_transport(seen))

    assert seen == []
    assert first == (
        False,
        "DfE connection for LP has an address that is not DfE's: choose DfE's sandbox or its production service "
        "and save it again.",
    )
    assert second[0] is False and "no token it can use" in second[1]
    assert connection_token(wrong_variable) == ""
    assert not Call.objects.exists()


def test_changing_the_address_drops_the_stored_token_so_it_is_not_sent_there():
    connection = connection_save(
        connection=Connection(name="LP2", base_url=SANDBOX_URL), token="real-dfe-token"
    )
    connection.base_url = PRODUCTION_URL
    connection_save(connection=connection)  # no new token given: the stored one goes
    seen = []

    ok, message = connection_test(connection=connection, transport=recording_transport(seen))

    connection.refresh_from_db()
    assert seen == []
    assert (ok, connection.token_encrypted) == (False, "")
    assert "no token it can use" in message


def test_a_new_token_given_with_the_new_address_is_kept_and_sent_there():
    connection = connection_save(
        connection=Connection(name="LP2", base_url=SANDBOX_URL, enabled=True, cohort_years=[2025]),
        token="sandbox-token",
    )
    connection.base_url = PRODUCTION_URL + "/"
    connection_save(connection=connection, token="production-token")
    seen = []

    ok, _ = connection_test(connection=connection, transport=recording_transport(seen))

    assert ok
    assert seen == [("register-npq.education.gov.uk", "Bearer production-token")]


def test_switching_address_while_switched_on_without_a_new_token_is_refused():
    connection = connection_save(
        connection=Connection(name="LP2", base_url=SANDBOX_URL, enabled=True, cohort_years=[2025]),
        token="sandbox-token",
    )
    connection.base_url = PRODUCTION_URL

    with pytest.raises(ValidationError, match="enter the token for the new address"):
        connection_save(connection=connection)

    stored = Connection.objects.get()
    assert (stored.base_url, connection_token(stored)) == (SANDBOX_URL, "sandbox-token")
