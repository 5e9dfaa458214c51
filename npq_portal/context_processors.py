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
    for the bar, `nav_links` every link in it once, in order."""
    user = getattr(request, "user", None)
    public = [_link(request, "Programmes", "programmes:programme-list")]
    if user is None or not user.is_authenticated:
        _mark_current(request, public)
        return {"nav_items": public, "nav_links": public, "nav_roles": []}
    roles = user_roles(user)
    items: list[dict] = []
    groups: dict[str, dict] = {}
    seen: set[str] = set()

    def add(label: str, url_name: str, into: list[dict]) -> None:
        if url_name not in seen:
            seen.add(url_name)
            into.append(_link(request, label, url_name))

    for role in roles:
        for label, target in ROLE_NAVIGATION[role]:
            if isinstance(target, str):
                add(label, target, items)
                continue
            if label not in groups:
                groups[label] = {"label": label, "links": [], "current": False}
                items.append(groups[label])
            for link_label, url_name in target:
                add(link_label, url_name, groups[label]["links"])
    if user.has_perm("npq_portal.view_emaildelivery") and "staff:email-list" not in seen:
        add("Emails", "staff:email-list", items)
    # The DfE data exchange (the dfe app), in Delivery, for whoever exchanges with DfE.
    if user.has_perm("dfe.exchange_with_dfe"):
        add(
            "DfE data exchange",
            "dfe:home",
            groups["Delivery"]["links"] if "Delivery" in groups else items,
        )
    if not any(role in STAFF_ROLES for role in roles):
        items = public + items  # staff reach the catalogue from their own Programmes page
    links = [link for item in items for link in item.get("links", [item])]
    _mark_current(request, links)
    for group in groups.values():
        group["current"] = any(link["current"] for link in group["links"])
    return {
        "nav_items": items,
        "nav_links": links,
        "nav_roles": [ROLE_SPECS[role].role.label for role in roles],
    }


def hub(request) -> dict:
    """How to reach the hub, for pages and emails that tell people to get in touch."""
    return {"hub_contact_email": settings.HUB_CONTACT_EMAIL}


def _link(request, label: str, url_name: str) -> dict:
    return {"label": label, "url": nav_addresses()[url_name], "current": False}


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
    key = (settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    addresses = _addresses.get(key)
    if addresses is None:
        addresses = _addresses[key] = _Addresses()
    return addresses


def _mark_current(request, links: list[dict]) -> None:
    """The section a page belongs to: the link with the longest address the path starts with."""
    matching = [link for link in links if request.path.startswith(link["url"])]
    if matching:
        max(matching, key=lambda link: len(link["url"]))["current"] = True
