from django.urls import reverse

from .roles import ROLE_SPECS, Role, user_roles

# The navigation each role adds, in the order it appears: (label, URL name).
ROLE_NAVIGATION: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.HUB_ADMINISTRATOR: (("Hub overview", "staff:home"), ("People", "staff:person-list")),
    Role.PROGRAMME_LEAD: (("Hub overview", "staff:home"), ("Emails", "staff:email-list")),
    Role.FACILITATOR: (("My cohorts", "facilitator-home"),),
    Role.ASSESSOR: (("Marking", "assessor-home"),),
    Role.SCHOOL_LEADER: (("My school", "school-leader-home"),),
    Role.TEACHER: (("My NPQs", "teacher-home"),),
}


def navigation(request) -> dict:
    """The navigation bar's links for whoever is signed in, each link once."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "nav_roles": []}
    roles = user_roles(user)
    links: list[dict] = []
    seen: set[str] = set()
    for role in roles:
        for label, url_name in ROLE_NAVIGATION[role]:
            if url_name in seen:
                continue
            seen.add(url_name)
            url = reverse(url_name)
            links.append({"label": label, "url": url, "current": request.path == url})
    if user.has_perm("npq_portal.view_emaildelivery") and "staff:email-list" not in seen:
        url = reverse("staff:email-list")
        links.append({"label": "Emails", "url": url, "current": request.path == url})
    return {"nav_links": links, "nav_roles": [ROLE_SPECS[role].role.label for role in roles]}
