from django.conf import settings
from django.urls import reverse

from .roles import ROLE_SPECS, STAFF_ROLES, Role, user_roles

# The navigation each role adds, in the order it appears: (label, URL name).
ROLE_NAVIGATION: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.HUB_ADMINISTRATOR: (
        ("Dashboard", "reports:dashboard"),
        ("Programmes", "programmes:staff-programme-list"),
        ("Cohorts", "cohorts:cohort-list"),
        ("Applications", "applications:application-list"),
        ("Schools", "schools:school-list"),
        ("Funding", "funding:funding"),
        ("Assessment", "assessment:window-list"),
        ("People", "staff:person-list"),
        ("Audit log", "reports:audit-log"),
    ),
    Role.PROGRAMME_LEAD: (
        ("Dashboard", "reports:dashboard"),
        ("Programmes", "programmes:staff-programme-list"),
        ("Cohorts", "cohorts:cohort-list"),
        ("Applications", "applications:application-list"),
        ("Assessment", "assessment:window-list"),
        ("Emails", "staff:email-list"),
        ("Mailing list", "mailing_list:subscriber-report"),
    ),
    Role.FACILITATOR: (("My cohorts", "cohorts:cohort-list"),),
    Role.ASSESSOR: (("Marking", "assessment:marking-list"),),
    Role.SCHOOL_LEADER: (("My school", "participants:school-leader-home"),),
    Role.TEACHER: (("My NPQs", "participants:teacher-home"),),
}


def navigation(request) -> dict:
    """The navigation bar's links for whoever is signed in, each link once."""
    user = getattr(request, "user", None)
    public = [_link(request, "Programmes", "programmes:programme-list")]
    if user is None or not user.is_authenticated:
        _mark_current(request, public)
        return {"nav_links": public, "nav_roles": []}
    roles = user_roles(user)
    links: list[dict] = []
    seen: set[str] = set()
    for role in roles:
        for label, url_name in ROLE_NAVIGATION[role]:
            if url_name in seen:
                continue
            seen.add(url_name)
            links.append(_link(request, label, url_name))
    if user.has_perm("npq_portal.view_emaildelivery") and "staff:email-list" not in seen:
        links.append(_link(request, "Emails", "staff:email-list"))
    if not any(role in STAFF_ROLES for role in roles):
        links = public + links  # staff reach the catalogue from their own Programmes page
    _mark_current(request, links)
    return {"nav_links": links, "nav_roles": [ROLE_SPECS[role].role.label for role in roles]}


def hub(request) -> dict:
    """How to reach the hub, for pages and emails that tell people to get in touch."""
    return {"hub_contact_email": settings.HUB_CONTACT_EMAIL}


def _link(request, label: str, url_name: str) -> dict:
    return {"label": label, "url": reverse(url_name), "current": False}


def _mark_current(request, links: list[dict]) -> None:
    """The section a page belongs to: the link with the longest address the path starts with."""
    matching = [link for link in links if request.path.startswith(link["url"])]
    if matching:
        max(matching, key=lambda link: len(link["url"]))["current"] = True
