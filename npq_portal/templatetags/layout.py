"""The page layout's costliest parts drawn in Python: every page pays for them.

`{% main_nav %}` is the navigation bar (it was includes/_nav.html: the same HTML). Drawn by
the template engine it cost every signed-in page about a millisecond: a loop of links and
menus, eight `{% url %}` tags and a CSRF token. Here its addresses are reversed once a process
and the HTML is joined from strings; what it shows comes, as before, from the `navigation`
context processor (`nav_items`, `nav_roles`). A bar drawn is kept, by everything it shows
(`nav_key` and the person's name, email and admin access), and the request's CSRF token put
into it: a page then pays a dictionary look-up for it.

`{% asset "css/portal.css" %}` is `{% static %}` remembered: the address of a static file does
not change while a process runs (the manifest is read once), so it is worked out once.
"""

from django import template
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils.functional import empty
from django.utils.html import escape
from django.utils.safestring import mark_safe

from npq_portal.context_processors import nav_addresses

register = template.Library()

_assets: dict[tuple, str] = {}


@register.simple_tag
def asset(path: str) -> str:
    """The address of the static file `path`, as `{% static %}` gives it."""
    # Keyed on the storage itself (a test's settings may swap it for another) and its address.
    key = (_storage(), staticfiles_storage.base_url, path)
    address = _assets.get(key)
    if address is None:
        address = _assets[key] = staticfiles_storage.url(path)
    return address


def _storage():
    """The storage behind the lazy `staticfiles_storage`, made if it was not yet."""
    if staticfiles_storage._wrapped is empty:
        staticfiles_storage._setup()
    return staticfiles_storage._wrapped


def _link(link: dict, css: str) -> str:
    """One link of the bar, marked as the open page's where it is."""
    active, current = (" active", ' aria-current="page"') if link["current"] else ("", "")
    return (
        f'<a class="{css}{active}" href="{escape(link["url"])}"{current}>'
        f"{escape(link['label'])}</a>"
    )


def _items(items: list[dict]) -> str:
    parts = []
    for item in items:
        if item.get("links"):
            active = " active" if item["current"] else ""
            links = "".join(f"<li>{_link(link, 'dropdown-item')}</li>" for link in item["links"])
            parts.append(
                '<li class="nav-item dropdown">\n'
                f'<button class="nav-link dropdown-toggle btn btn-link{active}" type="button" '
                f'data-bs-toggle="dropdown" aria-expanded="false">{escape(item["label"])}'
                "</button>\n"
                f'<ul class="dropdown-menu">\n{links}\n</ul>\n</li>'
            )
        else:
            parts.append(f'<li class="nav-item">\n{_link(item, "nav-link")}\n</li>')
    return "\n".join(parts)


# Where the request's CSRF token goes in a bar kept drawn (each page's token differs).
CSRF_MARK = "\x00csrf\x00"


def _account(user, roles: tuple[str, ...] | list[str]) -> str:
    nav_address = nav_addresses().__getitem__
    if user is None or not user.is_authenticated:
        return (
            f'<li class="nav-item"><a class="nav-link" href="{nav_address("account_login")}">'
            "Sign in</a></li>\n"
            f'<li class="nav-item"><a class="nav-link" href="{nav_address("account_signup")}">'
            "Create an account</a></li>"
        )
    roles_line = (
        f'<li><span class="dropdown-item-text small text-body-secondary">'
        f"{escape(', '.join(roles))}</span></li>\n"
        if roles
        else ""
    )
    admin = (
        f'<li><a class="dropdown-item" href="{nav_address("admin:index")}">Django admin</a></li>\n'
        if user.is_staff
        else ""
    )
    return (
        '<li class="nav-item dropdown">\n'
        '<button class="nav-link dropdown-toggle btn btn-link" type="button" '
        f'data-bs-toggle="dropdown" aria-expanded="false">\n{escape(user.get_short_name())}\n'
        "</button>\n"
        '<ul class="dropdown-menu dropdown-menu-end">\n'
        f'<li><span class="dropdown-item-text small text-body-secondary">{escape(user.email)}'
        "</span></li>\n"
        f"{roles_line}"
        '<li><hr class="dropdown-divider"></li>\n'
        f'<li><a class="dropdown-item" href="{nav_address("cohorts:my-calendar")}">My calendar</a>'
        "</li>\n"
        f'<li><a class="dropdown-item" href="{nav_address("account_change_password")}">'
        "Change password</a></li>\n"
        f'<li><a class="dropdown-item" href="{nav_address("account_email")}">Email addresses</a>'
        "</li>\n"
        f'<li><a class="dropdown-item" href="{nav_address("mfa_index")}">'
        "Two-factor authentication</a></li>\n"
        f"{admin}"
        '<li><hr class="dropdown-divider"></li>\n'
        "<li>\n"
        f'<form method="post" action="{nav_address("account_logout")}">\n'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_MARK}">\n'
        '<button type="submit" class="dropdown-item">Sign out</button>\n'
        "</form>\n"
        "</li>\n"
        "</ul>\n"
        "</li>"
    )


@register.simple_tag(takes_context=True)
def main_nav(context) -> str:
    """The navigation bar for whoever is signed in (the `navigation` context processor says
    what it holds). Kept drawn by what it shows: the bar's key (roles, rights, the section
    open) and the person's name, email and admin access; only the CSRF token is put in anew."""
    user = context.get("user")  # none where a page is drawn without its request
    key = context.get("nav_key")
    if key is None:  # drawn without the context processor: drawn in full
        html = _bar_html(context.get("nav_items", []), user, context.get("nav_roles", []))
    else:
        signed_in = user is not None and user.is_authenticated
        shown = (user.get_short_name(), user.email, user.is_staff) if signed_in else None
        html = _kept_bar(key, shown, user, context)
    return mark_safe(html.replace(CSRF_MARK, escape(context.get("csrf_token", ""))))


# The bars drawn, by what each shows: a few for each set of roles and section, and one for each
# person's name and email where they differ.
_drawn: dict[tuple, str] = {}
DRAWN_KEPT = 2048


def _kept_bar(key: tuple, shown, user, context) -> str:
    html = _drawn.get((key, shown))
    if html is None:
        if len(_drawn) >= DRAWN_KEPT:
            _drawn.clear()
        html = _drawn[(key, shown)] = _bar_html(
            context.get("nav_items", []), user, context.get("nav_roles", [])
        )
    return html


def _bar_html(items: list[dict], user, roles) -> str:
    return (
        '<nav class="navbar navbar-expand-md navbar-dark portal-navbar" aria-label="Main">\n'
        '<div class="container">\n'
        f'<a class="navbar-brand fw-semibold" href="{nav_addresses()["home"]}">NPQ Portal</a>\n'
        '<button class="navbar-toggler" type="button" data-bs-toggle="collapse" '
        'data-bs-target="#main-nav"\n'
        'aria-controls="main-nav" aria-expanded="false" aria-label="Show navigation">\n'
        '<span class="navbar-toggler-icon"></span>\n'
        "</button>\n"
        '<div class="collapse navbar-collapse" id="main-nav">\n'
        f'<ul class="navbar-nav me-auto">\n{_items(items)}\n</ul>\n'
        f'<ul class="navbar-nav">\n{_account(user, roles)}\n'
        "</ul>\n"
        "</div>\n"
        "</div>\n"
        "</nav>"
    )
