"""A check that a response carries the portal's content security policy, for any test to use."""

from csp.constants import HEADER

# The policy every page gets (settings.CONTENT_SECURITY_POLICY), as the browser reads it.
STRICT_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
NEVER_ALLOWED = {"'unsafe-eval'", "*"}


def csp_directives(response) -> dict[str, set[str]]:
    """The response's Content-Security-Policy header as {directive: sources}."""
    header = response.headers.get(HEADER, "")
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_csp(response, *, loosened: dict[str, set[str]] | None = None) -> None:
    """Assert the response carries the strict policy, plus only the sources in `loosened`."""
    assert HEADER in response.headers, f"{response.wsgi_request.path} has no {HEADER} header"
    expected = {name: set(sources) for name, sources in STRICT_POLICY.items()}
    for name, sources in (loosened or {}).items():
        expected[name] = expected.get(name, set()) | set(sources)
    directives = csp_directives(response)
    assert directives == expected, f"{response.wsgi_request.path}: {response.headers[HEADER]}"
    for name, sources in directives.items():
        assert not sources & NEVER_ALLOWED, f"{name} allows {sources & NEVER_ALLOWED}"
    assert "'unsafe-inline'" not in directives["script-src"]
