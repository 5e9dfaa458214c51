"""Addresses reversed once and filled in: `address()` for code and models, the `{% url %}` tag
for templates (npq_portal/templatetags/addresses.py), and `row_address()` for a table drawn in
Python.

Django's `reverse` walks the URL patterns each time, about 17 µs; a page with a link a row makes
dozens of them. The address of a URL name for whole-number arguments is the same string but for
those numbers: it is reversed once, with stand-ins for them, and kept (for the script prefix,
the URLconf and the current app of the moment), then the numbers are written in. A text
argument (a slug, an export's kind) is reversed as it is and kept with the address, one address
kept for each text. Anything else (a negative number, a name a stand-in cannot fill) is
reversed as Django does.
"""

from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

RowAddress = Callable[[object], str]
_ANY_ID = "2147483647"  # stands for each row's id in the address reversed once
# Stand-ins for `address`'s arguments: a number no id reaches, one a place in the arguments.
_STAND_IN = 7_036_874_417
_KEPT: dict[tuple, tuple | None] = {}  # the address in parts, each a text or an argument's place
# Texts are kept with their addresses: past this many kept, they are all forgotten (and kept
# again as asked for), so texts from anywhere cannot grow what is kept without bound.
_KEPT_MOST = 10_000


def row_address(name: str) -> RowAddress:
    """The address named `name` for a row's id (its only argument), as `reverse` gives it."""
    kept = address(name, args=[int(_ANY_ID)])
    return lambda pk: kept.replace(_ANY_ID, str(pk))


def address(viewname: str, args=None, kwargs=None, current_app: str | None = None) -> str:
    """What `reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)` gives: for
    none, whole-number or text arguments, from the address kept for the name (and its texts:
    the module says)."""
    args, kwargs = args or (), kwargs or {}
    values = (*args, *kwargs.values())
    if not all((type(value) is int and value >= 0) or type(value) is str for value in values):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    # Each text in its place, None where a number is written in.
    texts = tuple(value if type(value) is str else None for value in values)
    key = (viewname, len(args), tuple(kwargs), texts, current_app)
    key += (get_script_prefix(), get_urlconf())
    try:
        parts = _KEPT[key]
    except KeyError:
        if len(_KEPT) >= _KEPT_MOST:
            _KEPT.clear()
        parts = _KEPT[key] = _parts(viewname, len(args), tuple(kwargs), texts, current_app)
    if parts is None:  # the stand-ins do not make an address of it
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    return "".join(part if type(part) is str else str(values[part]) for part in parts)


def _parts(viewname: str, count: int, names: tuple, texts: tuple, current_app) -> tuple | None:
    """The address reversed with stand-ins for its numbers (its `texts` as they are), cut
    where each stand-in stands: texts and places."""
    given = [_STAND_IN + n if text is None else text for n, text in enumerate(texts)]
    try:
        reversed_ = reverse(
            viewname,
            args=given[:count],
            kwargs=dict(zip(names, given[count:], strict=True)),
            current_app=current_app,
        )
    except NoReverseMatch:
        return None  # reversed each time, which says why for the real arguments
    parts: list = [reversed_]
    for place, stand_in in enumerate(given):
        if texts[place] is not None:
            continue  # written in already
        found = []
        for part in parts:
            if type(part) is str and part.count(str(stand_in)) == 1:
                before, after = part.split(str(stand_in))
                found += [before, place, after]
            else:
                found.append(part)
        if len(found) != len(parts) + 2:
            return None  # a stand-in not written once, as it was given: not to be filled in
        parts = found
    return tuple(part for part in parts if part != "")


@receiver(setting_changed)
def _forget_when_urls_change(*, setting, **kwargs) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _KEPT.clear()
