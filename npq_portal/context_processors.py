import functools
from typing import NamedTuple

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from .roles import ROLE_SPECS, STAFF_ROLES, Role, user_roles

# The navigation each role adds, in the order it appears: (label, URL name) for a link, or
# (label, (links...)) for a group, a menu of its own. Groups keep the bar on one line at
# 1280 px; the same group from two roles is one menu with the links of both.
Link = tuple[str, str]
Entry = tuple[str, str] | tuple[str, tuple[Link, ...]]

RECORDS = ("Emails", "staff:email-list"), ("Email previews", "reminders:email-preview")
# Work Group engagement: the roster on a day, the hub's area, the grants owed to schools (in
# Delivery, so the bar stays on one line at 1280 px).
ENGAGEMENT = (
    ("Engagement roster", "reports:engagement-roster"),
    ("Engagement by area", "reports:engagement-area"),
    ("Work Group grants", "reports:grant-claim-list"),
)
ROLE_NAVIGATION: dict[Role, tuple[Entry, ...]] = {
    Role.HUB_ADMINISTRATOR: (
        ("Dashboard", "reports:dashboard"),
        (
            "Recruitment",
            (
                ("Applications", "applications:application-list"),
                ("Mailing list", "mailing_list:subscriber-report"),
                ("Schools", "schools:school-list"),
                ("Hub's area", "schools:hub-area"),
                ("Work Group history", "schools:history-import-list"),
                ("Funding", "funding:funding"),
            ),
        ),
        (
            "Delivery",
            (
                ("Programmes", "programmes:staff-programme-list"),
                ("Cohorts", "cohorts:cohort-list"),
                ("Delivery partners", "cohorts:partner-list"),
                ("DfE milestones", "reports:milestone-list"),
                ("Reminders", "reminders:reminders-upcoming"),
                *ENGAGEMENT,
            ),
        ),
        ("Assessment", "assessment:window-list"),
        (
            "Records",
            (
                ("People", "staff:person-list"),
                *RECORDS,
                ("Exports", "reports:export-list"),
                ("Audit log", "reports:audit-log"),
            ),
        ),
    ),
    Role.PROGRAMME_LEAD: (
        ("Dashboard", "reports:dashboard"),
        (
            "Recruitment",
            (
                ("Applications", "applications:application-list"),
                ("Mailing list", "mailing_list:subscriber-report"),
            ),
        ),
        (
            "Delivery",
            (
                ("Programmes", "programmes:staff-programme-list"),
                ("Cohorts", "cohorts:cohort-list"),
                ("Delivery partners", "cohorts:partner-list"),
                ("DfE milestones", "reports:milestone-list"),
                ("Reminders", "reminders:reminders-upcoming"),
                *ENGAGEMENT,
            ),
        ),
        ("Assessment", "assessment:window-list"),
        ("Records", (*RECORDS, ("Exports", "reports:export-list"))),
    ),
    Role.FACILITATOR: (
        ("My cohorts", "cohorts:cohort-list"),
        ("DfE milestones", "reports:milestone-list"),
    ),
    Role.ASSESSOR: (("Marking", "assessment:marking-list"),),
    Role.SCHOOL_LEADER: (("My school", "participants:school-leader-home"),),
    Role.TEACHER: (("My NPQs", "participants:teacher-home"),),
}


def navigation(request) -> dict:
    """The navigation bar for whoever is signed in: `nav_items` (links and groups of links)
    for the bar, `nav_links` every link in it once, in order; and `nav_key`, what the bar
    drawn depends on besides the person's name (`{% main_nav %}` keeps it drawn by that).

    What a set of roles and rights shows is worked out once a process (`_bar`); each page
    copies it, marking the section it belongs to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        shape = ((), False, False, _urls_key())
    else:
        shape = (
            tuple(user_roles(user)),
            user.has_perm("npq_portal.view_emaildelivery"),
            user.has_perm("dfe.exchange_with_dfe"),
            _urls_key(),
        )
    bar = _bar(*shape)
    current = _current(request.path, bar.urls)
    items, links = [], []
    for label, url, group in bar.items:
        if group is None:
            item = {"label": label, "url": url, "current": url == current}
            links.append(item)
        else:
            grouped = [
                {"label": link_label, "url": link_url, "current": link_url == current}
                for link_label, link_url in group
            ]
            links += grouped
            item = {"label": label, "links": grouped, "current": any(g["current"] for g in grouped)}
        items.append(item)
    return {
        "nav_items": items,
        "nav_links": links,
        "nav_roles": list(bar.roles),
        "nav_key": (shape, current),
    }


class _Bar(NamedTuple):
    """The bar for one set of roles and rights: its items in order, each (label, address,
    None) for a link or (label, None, ((label, address), ...)) for a menu; every address in
    it; and the roles' names."""

    items: tuple
    urls: tuple[str, ...]
    roles: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _bar(roles: tuple[Role, ...], sees_emails: bool, exchanges: bool, urls_key: tuple) -> _Bar:
    """What the bar shows for these roles and rights (`navigation`): each role's links in its
    order, a group from two roles one menu, a link once."""
    address = nav_addresses()
    items: list[tuple] = []
    groups: dict[str, list] = {}
    seen: set[str] = set()

    def add(label: str, url_name: str, into: list) -> None:
        if url_name not in seen:
            seen.add(url_name)
            into.append((label, address[url_name]))

    top: list = []  # (label, address) or (label, [links]) in order
    for role in roles:
        for label, target in ROLE_NAVIGATION[role]:
            if isinstance(target, str):
                add(label, target, top)
                continue
            if label not in groups:
                groups[label] = []
                top.append((label, groups[label]))
            for link_label, url_name in target:
                add(link_label, url_name, groups[label])
    if sees_emails and "staff:email-list" not in seen:
        add("Emails", "staff:email-list", top)
    # The DfE data exchange (the dfe app), in Delivery, for whoever exchanges with DfE.
    if exchanges:
        add("DfE data exchange", "dfe:home", groups["Delivery"] if "Delivery" in groups else top)
    if not any(role in STAFF_ROLES for role in roles):
        # Staff reach the catalogue from their own Programmes page.
        top.insert(0, ("Programmes", address["programmes:programme-list"]))
    for label, target in top:
        if isinstance(target, list):
            items.append((label, None, tuple(target)))
        else:
            items.append((label, target, None))
    urls = tuple(
        address
        for _, url, group in items
        for address in ([url] if group is None else [link_url for _, link_url in group])
    )
    return _Bar(tuple(items), urls, tuple(ROLE_SPECS[role].role.label for role in roles))


def _current(path: str, urls: tuple[str, ...]) -> str | None:
    """The section a page belongs to: the address in the bar with the longest address the
    path starts with."""
    matching = [url for url in urls if path.startswith(url)]
    return max(matching, key=len) if matching else None


def hub(request) -> dict:
    """How to reach the hub, for pages and emails that tell people to get in touch."""
    return {"hub_contact_email": settings.HUB_CONTACT_EMAIL}


# The bar's addresses, reversed once a process: the same few dozen names on every page.
class _Addresses(dict):
    """URL names without arguments to their addresses, each reversed when first asked for."""

    def __missing__(self, url_name: str) -> str:
        address = self[url_name] = reverse(url_name)
        return address


_addresses: dict[tuple, _Addresses] = {}


def nav_addresses() -> _Addresses:
    """The addresses of URL names without arguments for the URLs this request resolves with
    (`nav_addresses()["home"]`), reversed once a process (for the bar)."""
    key = _urls_key()
    addresses = _addresses.get(key)
    if addresses is None:
        addresses = _addresses[key] = _Addresses()
    return addresses


def _urls_key() -> tuple:
    """What addresses are reversed with: the URLs of the settings, or of this request."""
    return (settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
