"""Checks requests (and, for test fakes, responses) against DfE's patched spec with openapi-core."""

import functools
from urllib.parse import parse_qsl

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .spec import spec_patched

# What the validator sees in place of the token: it checks the header is there, never its value.
TOKEN_PLACEHOLDER = "Bearer token-withheld"


class SpecRequest:
    """An httpx request as openapi-core reads it (its `Request` protocol), token withheld."""

    def __init__(self, request: httpx.Request):
        self._request = request
        headers = dict(request.headers)
        if "authorization" in headers:
            headers["authorization"] = TOKEN_PLACEHOLDER
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(request.url.query.decode(), keep_blank_values=True)),
            header=Headers(headers),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return f"{self._request.url.scheme}://{self._request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "application/json").lower()


class SpecResponse:
    """An httpx response as openapi-core reads it."""

    def __init__(self, response: httpx.Response):
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "").lower()

    @property
    def headers(self) -> Headers:
        return Headers(dict(self._response.headers))

    @property
    def data(self) -> bytes | None:
        return self._response.content or None


@functools.cache
def openapi() -> OpenAPI:
    """The patched spec as openapi-core's validator, built once a process."""
    return OpenAPI.from_dict(spec_patched())


def _reasons(error: BaseException) -> list[str]:
    """Every schema or parameter failure under an openapi-core error, in words."""
    reasons = []
    seen: BaseException | None = error
    while seen is not None:
        for schema_error in getattr(seen, "schema_errors", ()) or ():
            where = "/".join(str(part) for part in schema_error.absolute_path)
            reasons.append(f"{where}: {schema_error.message}" if where else schema_error.message)
        seen = seen.__cause__ or seen.__context__
    return reasons or [str(error)]


def request_errors(request: httpx.Request) -> list[str]:
    """Why DfE's spec does not allow this request, in words; empty when it does."""
    errors = []
    for error in openapi().iter_request_errors(SpecRequest(request)):
        errors += _reasons(error)
    return errors


def response_errors(request: httpx.Request, response: httpx.Response) -> list[str]:
    """Why DfE's spec does not allow this response to this request; empty when it does."""
    errors = []
    for error in openapi().iter_response_errors(SpecRequest(request), SpecResponse(response)):
        errors += _reasons(error)
    return errors
