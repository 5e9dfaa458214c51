"""Who may do what, in one table.

Hub administrators, programme leads, facilitators, assessors and school leaders are Django
groups, created by a migration; their permissions are (re)attached after every migrate, so an
app that adds a permission lists it here and every role that should have it gets it. A teacher
is anyone signed in with a verified email address: it needs no group.

Scope (a facilitator sees only their cohorts, a school leader only their school) is decided by
each app's `for_user()` querysets; this table decides only what kind of thing a role may do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import models

from .access import user_access

logger = logging.getLogger(__name__)


class Role(models.TextChoices):
    HUB_ADMINISTRATOR = "hub_administrator", "Hub administrator"
    PROGRAMME_LEAD = "programme_lead", "Programme lead"
    FACILITATOR = "facilitator", "Facilitator"
    ASSESSOR = "assessor", "Assessor"
    SCHOOL_LEADER = "school_leader", "School leader"
    TEACHER = "teacher", "Teacher"


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    start_url_name: str  # where someone with this role lands after signing in
    staff: bool  # hub staff must set up MFA before they use any page
    permissions: tuple[str, ...] = ()

    @property
    def group_name(self) -> str:
        return self.role.label


STAFF_AREA = "npq_portal.access_staff_area"
COHORT_MANAGEMENT = (
    "cohorts.view_cohort",
    "cohorts.view_all_cohorts",
    "cohorts.add_cohort",
    "cohorts.change_cohort",
    "cohorts.change_cohort_status",
    "cohorts.view_session",
    "cohorts.add_session",
    "cohorts.change_session",
    "cohorts.change_modulewindow",
    "cohorts.view_deliverypartner",
    "cohorts.add_deliverypartner",
    "cohorts.change_deliverypartner",
    # Term dates: the school holidays generated timetables avoid.
    "cohorts.view_termdatecalendar",
    "cohorts.add_termdatecalendar",
    "cohorts.change_termdatecalendar",
    "cohorts.add_schoolholiday",
    "cohorts.change_schoolholiday",
    "cohorts.delete_schoolholiday",
)
SCHOOLS_AND_FUNDING = (
    "schools.view_school",
    "schools.add_giasimport",
    "schools.view_giasimport",
    "schools.view_eligibilitylist",
    "schools.add_eligibilitylist",
    "funding.view_fundingdecision",
    "schools.add_privatechildcareprovider",
    "schools.add_schoolleadership",
    # Schools' earlier Work Group years: importing them, and each school's history.
    "schools.view_programmehistoryimport",
    "schools.add_programmehistoryimport",
    "schools.view_schoolprogrammeyear",
)
MAILING_LIST = ("mailing_list.view_subscriber",)
# Registers and module progress, for the cohorts a person may see (facilitators: their own).
REGISTERS_AND_PROGRESS = (
    "participants.view_attendance",
    "participants.add_attendance",
    "participants.add_modulephasedone",
)
APPLICATION_DECISIONS = (
    "applications.view_application",
    "applications.decide_application",
    "participants.view_enrolment",
)
# Charges for places that are not funded: the list, its export, invoiced, paid and waived.
CHARGES = ("participants.manage_charges",)
# Work Group engagement (the reports app): the roster on a day, the hub's area and its share
# engaged, and the grants owed to schools (the list, its export, claimed, paid, cancelled).
ENGAGEMENT = (
    "reports.view_engagement",
    "participants.view_grantclaim",
    "participants.change_grantclaim",
)
CATALOGUE_EDITING = (
    "programmes.view_programme",
    "programmes.add_programme",
    "programmes.change_programme",
    # The Django admin asks for these; the portal's own pages need only change_programme.
    *(
        f"programmes.{action}_{model}"
        for model in ("course", "module", "clinic")
        for action in ("view", "add", "change", "delete")
    ),
)
ASSESSMENT_WINDOWS = (
    "assessment.view_assessmentwindow",
    "assessment.view_all_windows",
    "assessment.add_assessmentwindow",
    "assessment.change_assessmentwindow",
    "assessment.add_eligibilityexception",
    "assessment.add_deadlineextension",
    "assessment.view_submission",
    "assessment.view_marking",
    "assessment.allocate_marking",
    "assessment.resolve_marking",
)
# DfE's Lead Provider API (the dfe app): reconciling applications, sending decisions, claims
# (declarations) and outcomes, reading statements and the sync log. Setting up the connection
# itself (its token) is for administrators only.
DFE_EXCHANGE = ("dfe.exchange_with_dfe",)
# Exports (the reports app): which lists a role may download. Which columns each role gets
# is decided in reports/datasets.py; the rows come from the same for_user() scopes as the lists.
EVERY_EXPORT = tuple(
    f"reports.export_{dataset}"
    for dataset in (
        "applications",
        "enrolments",
        "attendance",
        "outcomes",
        "subscribers",
        "funding_decisions",
        "engagement",
    )
)

# Ordered by precedence: someone with several roles starts on the first one's page.
ROLE_TABLE: tuple[RoleSpec, ...] = (
    RoleSpec(
        Role.HUB_ADMINISTRATOR,
        start_url_name="reports:dashboard",
        staff=True,
        permissions=(
            STAFF_AREA,
            "npq_portal.manage_roles",
            "npq_portal.view_user",
            "npq_portal.view_rolechange",
            "npq_portal.view_emaildelivery",
            # Subject access exports and erasure: administrators only (privacy app).
            "npq_portal.export_personal_data",
            "npq_portal.erase_personal_data",
            "reports.view_audit_log",
            *CATALOGUE_EDITING,
            *SCHOOLS_AND_FUNDING,
            *COHORT_MANAGEMENT,
            *REGISTERS_AND_PROGRESS,
            *MAILING_LIST,
            *APPLICATION_DECISIONS,
            *CHARGES,
            *ENGAGEMENT,
            # The hub's area: which local authorities engagement is reported on.
            "schools.change_localauthority",
            *ASSESSMENT_WINDOWS,
            *EVERY_EXPORT,
            "dfe.manage_dfe_connection",
            *DFE_EXCHANGE,
        ),
    ),
    RoleSpec(
        Role.PROGRAMME_LEAD,
        start_url_name="reports:dashboard",
        staff=True,
        permissions=(
            STAFF_AREA,
            "npq_portal.view_user",
            "npq_portal.view_emaildelivery",
            *CATALOGUE_EDITING,
            "schools.view_school",
            "schools.view_schoolprogrammeyear",
            *COHORT_MANAGEMENT,
            *REGISTERS_AND_PROGRESS,
            *MAILING_LIST,
            *APPLICATION_DECISIONS,
            *CHARGES,
            *ENGAGEMENT,
            *ASSESSMENT_WINDOWS,
            *EVERY_EXPORT,
            *DFE_EXCHANGE,
        ),
    ),
    RoleSpec(
        Role.FACILITATOR,
        start_url_name="cohorts:cohort-list",
        staff=True,
        # Scoped by Cohort.objects.for_user(): only the cohorts they run.
        permissions=(
            STAFF_AREA,
            "cohorts.view_cohort",
            "cohorts.view_session",
            *REGISTERS_AND_PROGRESS,
            "reports.export_attendance",
        ),
    ),
    RoleSpec(
        Role.ASSESSOR,
        start_url_name="assessment:marking-list",
        staff=True,
        # Scoped by Marking.objects.for_assessor(): only what is allocated to them.
        permissions=(STAFF_AREA, "assessment.mark_submission"),
    ),
    RoleSpec(
        Role.SCHOOL_LEADER,
        start_url_name="participants:school-leader-home",
        staff=False,
        # Scoped to their schools' applicants by Application/Enrolment.objects.for_user().
        permissions=("reports.export_applications", "reports.export_enrolments"),
    ),
    RoleSpec(Role.TEACHER, start_url_name="participants:teacher-home", staff=False),
)

ROLE_SPECS: dict[Role, RoleSpec] = {spec.role: spec for spec in ROLE_TABLE}
GROUP_ROLES: tuple[Role, ...] = tuple(spec.role for spec in ROLE_TABLE if spec.role != Role.TEACHER)
STAFF_ROLES: frozenset[Role] = frozenset(spec.role for spec in ROLE_TABLE if spec.staff)


def user_roles(user) -> list[Role]:
    """The roles a signed-in user holds, in precedence order; empty for anonymous visitors.

    Cached on the user object for the request: the navigation bar asks on every page.
    """
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_npq_roles", None)
    if cached is not None:
        return cached
    group_names = user_access(user).group_names
    roles = [role for role in GROUP_ROLES if ROLE_SPECS[role].group_name in group_names]
    roles.append(Role.TEACHER)  # every account can apply for a programme
    user._npq_roles = roles
    return roles


def user_is_hub_staff(user) -> bool:
    """True for hub administrators, programme leads, facilitators and assessors."""
    return any(role in STAFF_ROLES for role in user_roles(user))


def user_start_url_name(user) -> str:
    """The URL name of the page this user lands on: their highest role's start page."""
    roles = user_roles(user)
    return ROLE_SPECS[roles[0]].start_url_name if roles else "home"


def roles_sync_permissions(sender=None, using: str = "default", **kwargs) -> None:
    """Give each role's group exactly the permissions the table lists (run after migrate)."""
    from django.contrib.auth.models import Group, Permission

    for spec in ROLE_TABLE:
        if spec.role == Role.TEACHER:
            continue
        group, _ = Group.objects.using(using).get_or_create(name=spec.group_name)
        wanted = []
        for dotted in spec.permissions:
            app_label, codename = dotted.split(".", 1)
            permission = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if permission is None:
                # Happens only part-way through a first migrate; the last post_migrate fixes it.
                logger.debug("Permission %s does not exist yet", dotted)
                continue
            wanted.append(permission)
        group.permissions.set(wanted)
