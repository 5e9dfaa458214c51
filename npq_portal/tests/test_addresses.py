"""Addresses: `row_address` for a table drawn in Python, and `address` and the `{% url %}` tag,
which keep what `reverse` gives and must give it exactly (npq_portal/addresses.py)."""

import pytest
from django.template import Context, Engine, engines
from django.test import override_settings
from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    get_resolver,
    reverse,
    set_script_prefix,
)
from django.urls.resolvers import RoutePattern

from npq_portal.addresses import address, row_address
from npq_portal.templatetags.addresses import KeptURLNode


def test_a_row_address_is_the_one_reverse_gives_for_each_id():
    detail = row_address("applications:application-detail")

    for pk in (1, 42, 2147483646, 2147483647):
        assert detail(pk) == reverse("applications:application-detail", args=[pk])
    assert detail("7") == reverse("applications:application-detail", args=[7])


# ---- address() and {% url %}: kept addresses, the same as reverse gives ----

IDS = (0, 1, 42, 2147483647, 7_036_874_417, 10**15)


def _names_with_int_arguments():
    """Every named URL of the portal whose arguments are all whole numbers: (name, names)."""
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif (
                isinstance(entry, URLPattern)
                and entry.name
                and isinstance(entry.pattern, RoutePattern)  # not a bare regular expression
            ):
                converters = entry.pattern.converters
                if all(type(c).__name__ == "IntConverter" for c in converters.values()):
                    found.append((f"{namespace}{entry.name}", tuple(converters)))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_address_is_the_one_reverse_gives():
    names = _names_with_int_arguments()
    assert len(names) > 100
    for name, arguments in names:
        for pk in IDS:
            kwargs = {argument: pk + n for n, argument in enumerate(arguments)}
            assert address(name, kwargs=kwargs) == reverse(name, kwargs=kwargs), name
            args = list(kwargs.values())
            assert address(name, args=args) == reverse(name, args=args), name


def test_an_address_follows_the_script_prefix():
    try:
        set_script_prefix("/portal/")
        under = address("applications:application-detail", args=[5])
        assert under == reverse("applications:application-detail", args=[5])
        assert under.startswith("/portal/")
    finally:
        set_script_prefix("/")
    assert address("applications:application-detail", args=[5]) == "/applications/5/"


def test_what_is_not_a_whole_number_is_reversed_as_django_does():
    slug = reverse("programmes:programme-detail", kwargs={"slug": "npq-senco"})
    assert address("programmes:programme-detail", kwargs={"slug": "npq-senco"}) == slug
    assert address("applications:application-detail", args=["7"]) == "/applications/7/"
    for wrong in ([-1], [None], [True]):
        with pytest.raises(NoReverseMatch):
            reverse("applications:application-detail", args=wrong)
        with pytest.raises(NoReverseMatch):
            address("applications:application-detail", args=wrong)
    with pytest.raises(NoReverseMatch):
        address("no-such-page")


def test_an_address_of_texts_is_kept_for_each_text_and_is_the_one_reverse_gives(monkeypatch):
    from npq_portal import addresses

    cases = [
        ("programmes:programme-detail", {"slug": "npq-senco"}),
        ("programmes:programme-detail", {"slug": "npq-leading-primary-mathematics"}),
        ("reports:export-create", {"kind": "applications", "file_format": "xlsx"}),
        ("reports:export-create", {"kind": "grant-claims", "file_format": "csv"}),
    ]
    expected = [reverse(name, kwargs=kwargs) for name, kwargs in cases]
    assert [address(name, kwargs=kwargs) for name, kwargs in cases] == expected
    reversed_ = []
    monkeypatch.setattr(addresses, "reverse", lambda *a, **k: reversed_.append(a) or "")

    assert [address(name, kwargs=kwargs) for name, kwargs in cases] == expected
    assert reversed_ == []  # each kept with its texts, none reversed again


def test_texts_kept_are_forgotten_past_the_most_kept(monkeypatch):
    from npq_portal import addresses

    monkeypatch.setattr(addresses, "_KEPT_MOST", 3)
    for n in range(10):
        slug = f"programme-{n}"
        assert address("programmes:programme-detail", kwargs={"slug": slug}) == reverse(
            "programmes:programme-detail", kwargs={"slug": slug}
        )
        assert len(addresses._KEPT) <= 3


def test_a_new_urlconf_forgets_what_was_kept():
    address("applications:application-detail", args=[3])  # kept
    with override_settings(ROOT_URLCONF="npq_portal.tests.urls_other"):
        with pytest.raises(NoReverseMatch):
            address("applications:application-detail", args=[3])
        assert address("other-page", args=[3]) == "/elsewhere/3/"
    assert address("applications:application-detail", args=[3]) == "/applications/3/"


def test_the_url_tag_writes_what_djangos_writes():
    source = (
        "{% url 'applications:application-detail' pk %}|"
        "{% url 'applications:application-detail' pk=pk %}|"
        "{% url 'programmes:programme-detail' slug %}|"
        "{% url 'dfe:call-list' as log %}{{ log }}|"
        "{% url 'no-such-page' as nothing %}[{{ nothing }}]"
    )
    context = {"pk": 12, "slug": "npq-senco"}
    ours = engines["django"].from_string(source)
    assert isinstance(ours.template.nodelist[0], KeptURLNode)  # the portal's tag is in use
    djangos = Engine().from_string(source)  # Django's own tag, no builtins of the portal's
    assert ours.render(context) == djangos.render(Context(context))
    programme = reverse("programmes:programme-detail", args=["npq-senco"])
    assert ours.render(context) == (
        f"/applications/12/|/applications/12/|{programme}|{reverse('dfe:call-list')}|[]"
    )
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'no-such-page' %}").render({})
