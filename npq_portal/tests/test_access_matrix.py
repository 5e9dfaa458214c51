"""Who gets what from every URL in the project: the access matrix (issue 11).

MATRIX has a row per URL pattern: what a GET gives each role, built with the shared scenario's
objects (npq_portal/tests/access.py: cohort A run by facilitator A, the teacher's place and
applications in it, and so on). test_every_url_pattern_is_in_the_matrix fails for a pattern
without a row, so a new page cannot skip the question. To add a row: give the URL's keyword
arguments in ARGS (if it has any) and its expectations in MATRIX.

The rules the rows follow (DESIGN.md, "Roles and access"):
- anonymous visitors are sent to sign in, except on the public pages;
- a role that may not use a kind of page at all gets 403, whichever object it names;
- an object out of the person's scope is a 404, exactly like a missing one;
- POST-only pages answer a GET with 405 once access is decided; their POST is checked below.
The Django admin's own pages are covered by the compact rule in the admin tests at the end.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from npq_portal.tests.access import scenario_build
from npq_portal.tests.csp import assert_csp
from npq_portal.tests.factories import sign_in


def resolver_patterns(patterns=None, prefix: str = "", namespace: str = "") -> dict[str, str]:
    """Every URL pattern in the project, by its namespaced name, with its route."""
    found = {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            found |= resolver_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            # A pattern without a name (the admin's catch-all redirects) goes by its route.
            name = pattern.name or route
            found[f"{namespace}:{name}" if namespace else name] = route
    return found


# ---- Roles and outcomes ----

ROLES = (
    "anonymous",
    "teacher",  # owns the application, place and submission the URLs name
    "other_teacher",  # has an application and place of their own, in cohort B
    "school_leader",  # leads the teacher's school
    "other_school_leader",  # leads another school
    "facilitator",  # runs cohort A, the one the URLs name
    "other_facilitator",  # runs cohort B
    "assessor",  # has one of cohort A's submissions to mark
    "programme_lead",
    "hub_administrator",
)
TEACHERS = ("teacher", "other_teacher")
SCHOOL_LEADERS = ("school_leader", "other_school_leader")
FACILITATORS = ("facilitator", "other_facilitator")
MANAGERS = ("programme_lead", "hub_administrator")
STAFF_ALL = (*FACILITATORS, "assessor", *MANAGERS)
SIGNED_IN = ROLES[1:]
GROUPS = {
    "TEACHERS": TEACHERS,
    "SCHOOL_LEADERS": SCHOOL_LEADERS,
    "FACILITATORS": FACILITATORS,
    "MANAGERS": MANAGERS,
    "STAFF_ALL": STAFF_ALL,
    "SIGNED_IN": SIGNED_IN,
} | {role: (role,) for role in ROLES}

OK, FORBIDDEN, MISSING, NOT_ALLOWED = 200, 403, 404, 405
LOGIN = "sign in"  # a redirect to the sign-in page, coming back here afterwards
DENIED = {LOGIN, FORBIDDEN, MISSING}


@dataclass(frozen=True)
class Redirect:
    """A redirect the product means to give: to `to`, a URL name, or a function of the scenario."""

    to: object
    kwargs: tuple = ()

    def url(self, s) -> str:
        if callable(self.to):
            return self.to(s)
        return reverse(self.to, kwargs={k: v(s) for k, v in self.kwargs})


def expect(default, **outcomes) -> dict:
    """Each role's outcome: `default`, then each group or role named, later names winning."""
    result = dict.fromkeys(ROLES, default)
    for name, outcome in outcomes.items():
        result |= dict.fromkeys(GROUPS[name], outcome)
    return result


def public(**outcomes):
    return expect(OK, **outcomes)


def signed_in(default=OK, **outcomes):
    return expect(default, **({"anonymous": LOGIN} | outcomes))


def staff_page(**outcomes):
    """A staff page: 403 for everyone signed in unless named, sign in for visitors."""
    return expect(FORBIDDEN, **({"anonymous": LOGIN} | outcomes))


def own(**outcomes):
    """The teacher's own record: theirs to see, a 404 for everyone else."""
    return signed_in(MISSING, **({"teacher": OK} | outcomes))


def cohort_a_page(**outcomes):
    """A page about cohort A: its facilitator and managers; facilitator B gets a 404."""
    return staff_page(
        **({"facilitator": OK, "other_facilitator": MISSING, "MANAGERS": OK} | outcomes)
    )


@dataclass(frozen=True)
class Row:
    get: dict
    post: dict | None = None  # what a POST gives, where it differs from a GET (POST-only pages)


def pk(key):
    def number(s):
        return (s.objects.get(key) or s.people[key]).pk

    number.is_pk = True  # the missing-object check swaps these for a number that is not there
    return number


def urn(key):
    def number(s):
        return s.objects[key].urn

    number.is_pk = True
    return number


# Keyword arguments for the URLs that take any; the values name the scenario's objects.
ARGS = {
    "staff:email-detail": dict(pk=pk("delivery")),
    "staff:person-detail": dict(pk=pk("teacher")),
    "staff:person-roles": dict(pk=pk("teacher")),
    "privacy:person-export": dict(pk=pk("teacher")),
    "privacy:person-erase": dict(pk=pk("teacher")),
    "programmes:programme-detail": dict(slug=lambda s: s.programme.slug),
    "programmes:staff-programme-detail": dict(slug=lambda s: s.programme.slug),
    "programmes:programme-update": dict(slug=lambda s: s.programme.slug),
    "programmes:programme-retire": dict(slug=lambda s: s.programme.slug),
    "programmes:programme-reinstate": dict(slug=lambda s: s.programme.slug),
    "programmes:course-create": dict(slug=lambda s: s.programme.slug),
    "programmes:role-slots": dict(slug=lambda s: s.programme.slug),
    "programmes:prerequisites": dict(slug=lambda s: s.programme.slug),
    "programmes:grants": dict(slug=lambda s: s.programme.slug),
    "programmes:course-update": dict(pk=pk("course")),
    "programmes:course-delete": dict(pk=pk("course")),
    "programmes:course-move": dict(pk=pk("course")),
    "programmes:module-create": dict(pk=pk("course")),
    "programmes:module-update": dict(pk=pk("module")),
    "programmes:module-delete": dict(pk=pk("module")),
    "programmes:module-move": dict(pk=pk("module")),
    "programmes:clinic-create": dict(pk=pk("course")),
    "programmes:clinic-update": dict(pk=pk("clinic")),
    "programmes:clinic-delete": dict(pk=pk("clinic")),
    "programmes:clinic-move": dict(pk=pk("clinic")),
    "cohorts:cohort-detail": dict(pk=pk("cohort_a")),
    "cohorts:cohort-update": dict(pk=pk("cohort_a")),
    "cohorts:cohort-status": dict(pk=pk("cohort_a")),
    "cohorts:cohort-duplicate": dict(pk=pk("cohort_a")),
    "cohorts:timetable-generate": dict(pk=pk("cohort_a")),
    "cohorts:timetable-publish": dict(pk=pk("cohort_a")),
    "cohorts:cohort-calendar": dict(pk=pk("cohort_a")),
    "cohorts:session-create": dict(pk=pk("cohort_a")),
    "cohorts:session-update": dict(pk=pk("session_a")),
    "cohorts:session-cancel": dict(pk=pk("session_a")),
    "cohorts:modulewindow-update": dict(pk=pk("module_window_a")),
    "cohorts:partner-update": dict(pk=pk("partner")),
    "cohorts:calendar-feed": dict(token=lambda s: s.teacher_feed.token),
    "cohorts:termcalendar-detail": dict(pk=pk("term_calendar")),
    "cohorts:termcalendar-update": dict(pk=pk("term_calendar")),
    "cohorts:schoolholiday-create": dict(pk=pk("term_calendar")),
    "cohorts:schoolholiday-update": dict(pk=pk("school_holiday")),
    "cohorts:schoolholiday-delete": dict(pk=pk("school_holiday")),
    "reminders:reminders-stop": dict(token=lambda s: s.stop_token),
    "participants:session-register": dict(pk=pk("session_a")),
    "participants:register-import": dict(pk=pk("session_a")),
    "participants:cohort-progress": dict(pk=pk("cohort_a")),
    "participants:enrolment-progress-staff": dict(pk=pk("enrolment")),
    "participants:my-progress": dict(pk=pk("enrolment")),
    "applications:apply": dict(cohort_pk=pk("cohort_b")),
    "applications:application-check": dict(pk=pk("draft")),
    "applications:sign-up": dict(cohort_pk=pk("work_group")),
    "applications:sign-up-step": dict(pk=pk("team_draft"), step=lambda s: "school"),
    "applications:sign-up-check": dict(pk=pk("team_draft")),
    "applications:application-cannot-continue": dict(pk=pk("draft")),
    "applications:application-withdraw": dict(pk=pk("draft")),
    "applications:application-step": dict(pk=pk("draft"), step="england"),
    "applications:application-detail": dict(pk=pk("accepted")),
    "applications:application-take-offer": dict(pk=pk("accepted")),
    "applications:application-approver": dict(pk=pk("awaiting")),
    "applications:funding-override": dict(pk=pk("awaiting")),
    "participants:enrolment-change": dict(pk=pk("enrolment")),
    "participants:enrolment-transfer": dict(pk=pk("enrolment")),
    "participants:charge-update": dict(pk=pk("charge")),
    "participants:work-group": dict(pk=pk("work_group")),
    "participants:school-place-detail": dict(pk=pk("school_place")),
    "participants:school-place-plan": dict(pk=pk("school_place")),
    "participants:school-place-plan-file": dict(pk=pk("school_place")),
    "participants:school-place-evaluation": dict(pk=pk("school_place"), heading="practice"),
    "participants:school-place-complete": dict(pk=pk("school_place")),
    "participants:school-place-withdraw": dict(pk=pk("school_place")),
    "participants:team-member-replace": dict(pk=pk("team_enrolment")),
    "schools:school-leaders": dict(urn=urn("school")),
    "applications:application-decide": dict(pk=pk("awaiting")),
    "applications:prerequisites-override": dict(pk=pk("team_application")),
    "applications:work-group-sign-ups": dict(cohort_pk=pk("work_group")),
    "applications:school-approval": dict(token=lambda s: s.approval_token),
    "applications:school-leader-approval": dict(pk=pk("awaiting")),
    "mailing_list:subscriber-confirm": dict(token=lambda s: s.confirm_token),
    "mailing_list:subscriber-manage": dict(token=lambda s: s.manage_token),
    "mailing_list:subscriber-unsubscribe": dict(token=lambda s: s.manage_token),
    "schools:gias-import-detail": dict(pk=pk("gias_import")),
    "schools:school-history": dict(urn=urn("school")),
    "schools:history-import-detail": dict(pk=pk("history_import")),
    "schools:history-import-rejects": dict(pk=pk("history_import")),
    "assessment:assessment-detail": dict(pk=pk("window")),
    "assessment:submission-write": dict(pk=pk("window")),
    "assessment:submission-autosave": dict(pk=pk("window")),
    "assessment:submission-upload": dict(pk=pk("window")),
    "assessment:submission-remove-file": dict(pk=pk("window")),
    "assessment:submission-check": dict(pk=pk("window")),
    "assessment:submission-done": dict(pk=pk("window")),
    "assessment:material-download": dict(pk=pk("window"), material_pk=pk("material")),
    "assessment:window-detail": dict(pk=pk("window")),
    "assessment:window-update": dict(pk=pk("window")),
    "assessment:material-add": dict(pk=pk("window")),
    "assessment:staff-material-download": dict(pk=pk("window"), material_pk=pk("material")),
    "assessment:exception-grant": dict(pk=pk("window"), enrolment_pk=pk("enrolment")),
    "assessment:deadline-extend": dict(pk=pk("window"), enrolment_pk=pk("enrolment")),
    "assessment:marking-detail": dict(pk=pk("marking")),
    "assessment:marking-file": dict(pk=pk("marking")),
    "assessment:marking-material": dict(pk=pk("marking"), material_pk=pk("material")),
    "assessment:window-marking": dict(pk=pk("window")),
    "assessment:window-allocate": dict(pk=pk("window")),
    "assessment:staff-submission": dict(pk=pk("window"), submission_pk=pk("allocated")),
    "assessment:staff-submission-file": dict(pk=pk("window"), submission_pk=pk("allocated")),
    "assessment:marking-move": dict(pk=pk("window"), submission_pk=pk("allocated")),
    "assessment:marking-resolve": dict(pk=pk("window"), submission_pk=pk("allocated")),
    "reports:cohort-report": dict(pk=pk("cohort_a")),
    "reports:cohort-milestones": dict(pk=pk("cohort_a")),
    "reports:export-detail": dict(pk=pk("export")),
    "reports:export-progress": dict(pk=pk("export")),
    "reports:export-download": dict(pk=pk("export_done")),
    "reports:export-create": dict(kind="applications", file_format="csv"),  # ?schools=mine
    "reports:grant-claim-update": dict(pk=pk("grant_claim")),
    "dfe:declaration-void": dict(pk=lambda s: 1),  # POST-only: refused or 405 before the lookup
    # A POST-only page: a GET is refused before any row is looked up, so any number will do.
    "dfe:outgoing-send-again": dict(pk=lambda s: 1),
    # ---- DfE reconciliation (no DfE application in the scenario: its actions are POST-only) ----
    "dfe:dfe-application-invite": dict(pk=1),
    "dfe:dfe-application-link": dict(pk=1),
    "dfe:dfe-application-unlink": dict(pk=1),
    "dfe:disagreement-acknowledge": dict(pk=1),
    "dfe:dfe-application-decision-send": dict(pk=1),
    "dfe:dfe-application-create": dict(pk=1),
    "dfe:application-remind": dict(pk=pk("accepted")),
    "account_confirm_email": dict(key="not-a-real-key"),
    "account_reset_password_from_key": dict(uidb36="1", key="not-a-real-key"),
    # The DfE connection, its test and delivery partners (issue 21).
    "dfe:connection": dict(pk=pk("dfe_connection")),
    "dfe:connection-test": dict(pk=pk("dfe_connection")),
    "dfe:delivery-partners": dict(pk=pk("dfe_connection")),
}


def url_for(name: str, s) -> str:
    kwargs = {k: v(s) if callable(v) else v for k, v in ARGS.get(name, {}).items()}
    url = reverse(name, kwargs=kwargs)
    # A school leader exports their own schools' applicants: the filter says so.
    return url + "?schools=mine" if name == "reports:export-create" else url


ALLOWED = "allowed"  # a POST this role may make: not part of the unauthorised-POST check
TO_START_PAGE = {
    "TEACHERS": Redirect("participants:teacher-home"),
    "SCHOOL_LEADERS": Redirect("participants:school-leader-home"),
    "FACILITATORS": Redirect("cohorts:cohort-list"),
    "assessor": Redirect("assessment:marking-list"),
    "MANAGERS": Redirect("reports:dashboard"),
}
# Pages a POST changes, answering a GET with 405: managers may POST, nobody else.
MANAGERS_POST = Row(staff_page(MANAGERS=NOT_ALLOWED), post=staff_page(MANAGERS=ALLOWED))
# The teacher's own POST-only actions: a 405 to a GET, a 404 to anyone else's POST.
OWN_POST = Row(own(teacher=NOT_ALLOWED), post=own(teacher=ALLOWED))
# A POST-only action on your own application, found among your own only (anyone else: 404).
OWN_APPLICATION_POST = Row(signed_in(NOT_ALLOWED), post=own(teacher=ALLOWED))
MANAGERS_ONLY = Row(staff_page(MANAGERS=OK))
ADMINISTRATORS = Row(staff_page(hub_administrator=OK))
COHORT_A = Row(cohort_a_page())

MATRIX: dict[str, Row] = {
    # ---- Public pages, the start pages and the people pages (npq_portal) ----
    "home": Row(public(**TO_START_PAGE)),
    "healthz": Row(public()),
    "ping": Row(public()),
    "participants:teacher-home": Row(signed_in()),  # every account may apply, staff included
    "participants:school-leader-home": Row(signed_in(FORBIDDEN, SCHOOL_LEADERS=OK)),
    "staff:home": Row(staff_page(MANAGERS=OK)),
    "staff:person-list": Row(staff_page(MANAGERS=OK)),
    "staff:person-detail": Row(staff_page(MANAGERS=OK)),
    "staff:person-roles": ADMINISTRATORS,
    "staff:email-list": Row(staff_page(MANAGERS=OK)),
    "staff:email-detail": Row(staff_page(MANAGERS=OK)),
    # ---- Personal data (privacy) ----
    "privacy:notice": Row(public()),
    "privacy:my-data": Row(signed_in(), post=signed_in(ALLOWED)),  # always one's own
    "privacy:person-export": Row(
        staff_page(hub_administrator=NOT_ALLOWED), post=staff_page(hub_administrator=ALLOWED)
    ),
    "privacy:person-erase": Row(
        staff_page(hub_administrator=OK), post=staff_page(hub_administrator=ALLOWED)
    ),
    # ---- Catalogue (programmes) ----
    "programmes:programme-list": Row(public()),
    "programmes:programme-detail": Row(public()),
    "programmes:staff-programme-list": MANAGERS_ONLY,
    "programmes:programme-create": MANAGERS_ONLY,
    "programmes:staff-programme-detail": MANAGERS_ONLY,
    "programmes:programme-update": MANAGERS_ONLY,
    "programmes:programme-retire": MANAGERS_ONLY,
    "programmes:programme-reinstate": MANAGERS_POST,
    "programmes:role-slots": MANAGERS_ONLY,  # a Work Group's set-up, one part a page
    "programmes:prerequisites": MANAGERS_ONLY,
    "programmes:grants": MANAGERS_ONLY,
    "programmes:course-create": MANAGERS_ONLY,
    "programmes:course-update": MANAGERS_ONLY,
    "programmes:course-delete": MANAGERS_ONLY,  # a page asking to confirm
    "programmes:course-move": MANAGERS_POST,
    "programmes:module-create": MANAGERS_ONLY,
    "programmes:module-update": MANAGERS_ONLY,
    "programmes:module-delete": MANAGERS_ONLY,
    "programmes:module-move": MANAGERS_POST,
    "programmes:clinic-create": MANAGERS_ONLY,
    "programmes:clinic-update": MANAGERS_ONLY,
    "programmes:clinic-delete": MANAGERS_ONLY,
    "programmes:clinic-move": MANAGERS_POST,
    # ---- Cohorts, sessions, partners and calendars ----
    "cohorts:cohort-list": Row(staff_page(FACILITATORS=OK, MANAGERS=OK)),  # B's lists only B
    "cohorts:cohort-create": MANAGERS_ONLY,
    "cohorts:cohort-detail": COHORT_A,
    "cohorts:cohort-update": MANAGERS_ONLY,
    "cohorts:cohort-status": MANAGERS_POST,
    "cohorts:cohort-duplicate": MANAGERS_POST,
    "cohorts:timetable-generate": MANAGERS_POST,
    "cohorts:timetable-publish": MANAGERS_POST,
    "cohorts:cohort-calendar": MANAGERS_POST,
    "cohorts:session-create": MANAGERS_ONLY,
    "cohorts:session-update": MANAGERS_ONLY,
    "cohorts:session-cancel": MANAGERS_ONLY,
    "cohorts:modulewindow-update": MANAGERS_ONLY,
    "cohorts:partner-list": MANAGERS_ONLY,
    "cohorts:partner-create": MANAGERS_ONLY,
    "cohorts:partner-update": MANAGERS_ONLY,
    "cohorts:termcalendar-list": MANAGERS_ONLY,  # term dates: hub-wide, no cohort scope
    "cohorts:termcalendar-create": MANAGERS_ONLY,
    "cohorts:termcalendar-detail": MANAGERS_ONLY,
    "cohorts:termcalendar-update": MANAGERS_ONLY,
    "cohorts:schoolholiday-create": MANAGERS_ONLY,
    "cohorts:schoolholiday-update": MANAGERS_ONLY,
    "cohorts:schoolholiday-delete": MANAGERS_ONLY,  # a page asking to confirm
    "cohorts:my-calendar": Row(signed_in()),  # everyone's own calendar address
    "cohorts:calendar-feed": Row(public()),  # the secret address is the key
    # ---- Registers and progress ----
    "participants:session-register": COHORT_A,
    "participants:register-import": COHORT_A,
    "participants:cohort-progress": COHORT_A,
    "participants:enrolment-progress-staff": COHORT_A,
    "participants:my-progress": Row(own()),  # the participant's own view of their place
    "reminders:reminders-stop": Row(public()),  # signed link from the email
    "reminders:reminders-upcoming": MANAGERS_ONLY,
    "reminders:email-preview": MANAGERS_ONLY,
    # ---- Applications ----
    "applications:apply": Row(signed_in()),  # a page with a button; the POST starts a draft
    "applications:application-step": Row(own()),  # the teacher's draft
    # The draft has no answers yet, so checking them leads to the first question.
    "applications:application-check": Row(
        own(
            teacher=Redirect(
                "applications:application-step",
                (("pk", pk("draft")), ("step", lambda s: "england")),
            )
        )
    ),
    "applications:application-cannot-continue": Row(own()),
    # A school's Work Group sign-up: a page with a button for anyone signed in, then the
    # teacher's own draft, whose check page leads to its first question.
    "applications:sign-up": Row(signed_in()),
    "applications:sign-up-step": Row(own()),
    "applications:sign-up-check": Row(
        own(
            teacher=Redirect(
                "applications:sign-up-step",
                (("pk", pk("team_draft")), ("step", lambda s: "school")),
            )
        )
    ),
    "applications:application-withdraw": OWN_APPLICATION_POST,
    "applications:application-take-offer": OWN_APPLICATION_POST,
    # The teacher's accepted application: theirs, their school leader's and hub staff's;
    # facilitators see places, not applications.
    "applications:application-detail": Row(own(school_leader=OK, MANAGERS=OK)),
    "applications:application-list": MANAGERS_ONLY,
    "applications:application-bulk-decide": MANAGERS_POST,
    "applications:application-approver": MANAGERS_POST,
    "applications:application-decide": MANAGERS_POST,
    "applications:funding-override": MANAGERS_POST,
    "applications:prerequisites-override": MANAGERS_POST,
    "applications:work-group-sign-ups": MANAGERS_ONLY,  # a Work Group's school sign-ups
    "participants:enrolment-change": MANAGERS_POST,
    "participants:enrolment-transfer": MANAGERS_POST,
    "participants:charge-list": MANAGERS_ONLY,  # charges: hub administrators, programme leads
    "participants:charge-update": MANAGERS_POST,
    # ---- Work Groups: the Work Group Lead's page (facilitator A runs it), the school's place
    # (the teacher is in its team; the school leader leads the school) ----
    "participants:work-group": COHORT_A,
    "participants:school-place-detail": Row(
        signed_in(MISSING, teacher=OK, school_leader=OK, facilitator=OK, MANAGERS=OK)
    ),
    # The plan and evaluation: the team, the Work Group Lead and hub staff write them.
    "participants:school-place-plan": Row(
        signed_in(MISSING, teacher=OK, facilitator=OK, MANAGERS=OK)
    ),
    "participants:school-place-plan-file": Row(
        signed_in(MISSING, teacher=OK, school_leader=OK, facilitator=OK, MANAGERS=OK)
    ),
    "participants:school-place-evaluation": Row(
        signed_in(MISSING, teacher=OK, facilitator=OK, MANAGERS=OK)
    ),
    "participants:school-place-complete": MANAGERS_POST,
    "participants:school-place-withdraw": MANAGERS_POST,
    "participants:team-member-replace": MANAGERS_ONLY,
    "applications:school-approval": Row(public()),  # signed link for whoever decides
    # The same, signed in: the leader of the school the application names (another's: 404).
    "applications:school-leader-approval": Row(
        signed_in(FORBIDDEN, school_leader=MISSING, other_school_leader=OK)
    ),
    # ---- Schools, funding and the mailing list ----
    "schools:hub-area": ADMINISTRATORS,  # which local authorities the hub serves
    "schools:school-leaders": ADMINISTRATORS,
    "schools:school-search": Row(public()),  # the application form's school picker
    "schools:school-list": MANAGERS_ONLY,
    "schools:gias-import": ADMINISTRATORS,
    "schools:gias-import-detail": ADMINISTRATORS,
    "schools:school-history": MANAGERS_ONLY,  # a school's Work Group years
    "schools:history-import-list": ADMINISTRATORS,
    "schools:history-import": ADMINISTRATORS,
    "schools:history-import-detail": ADMINISTRATORS,
    "schools:history-import-rejects": ADMINISTRATORS,  # a CSV of the rows not imported
    # The old address of the eligibility lists: it sends everyone there, and that page decides.
    "funding:funding": Row(
        signed_in(Redirect("funding:eligibility-lists")),
        post=signed_in(Redirect("funding:eligibility-lists")),
    ),
    "funding:eligibility-lists": ADMINISTRATORS,
    "funding:lists-current-from": ADMINISTRATORS,
    "funding:childcare-provider-upload": ADMINISTRATORS,
    "funding:funding-what-changes": ADMINISTRATORS,
    "mailing_list:subscribe": Row(public()),
    "mailing_list:subscriber-check-email": Row(public()),
    "mailing_list:subscriber-confirm": Row(public()),  # signed links: no account needed
    "mailing_list:subscriber-manage": Row(public()),
    "mailing_list:subscriber-unsubscribe": Row(public()),
    "mailing_list:subscriber-report": MANAGERS_ONLY,
    # ---- Assessment: the participant's pages (the teacher's window, open now) ----
    "assessment:my-assessments": Row(signed_in()),  # everyone's own list, empty or not
    "assessment:assessment-detail": Row(own()),
    "assessment:submission-write": Row(own()),
    "assessment:submission-autosave": OWN_POST,
    "assessment:submission-upload": Row(own()),
    "assessment:submission-remove-file": OWN_POST,
    "assessment:submission-check": Row(own()),
    # Not submitted yet: the "submitted" page sends the teacher back to the window's page.
    "assessment:submission-done": Row(
        own(teacher=Redirect("assessment:assessment-detail", (("pk", pk("window")),)))
    ),
    "assessment:material-download": Row(own()),
    # ---- Assessment: windows and marking (staff) ----
    "assessment:window-list": MANAGERS_ONLY,
    "assessment:window-create": MANAGERS_ONLY,
    "assessment:window-detail": MANAGERS_ONLY,
    "assessment:window-update": MANAGERS_ONLY,
    "assessment:material-add": MANAGERS_ONLY,
    "assessment:staff-material-download": MANAGERS_ONLY,
    "assessment:exception-grant": MANAGERS_ONLY,
    "assessment:deadline-extend": MANAGERS_ONLY,
    "assessment:window-marking": MANAGERS_ONLY,
    "assessment:window-allocate": MANAGERS_ONLY,
    "assessment:staff-submission": MANAGERS_ONLY,
    "assessment:staff-submission-file": MANAGERS_ONLY,
    "assessment:marking-move": MANAGERS_POST,
    # Nothing to resolve yet: the page sends managers back to the submission.
    "assessment:marking-resolve": Row(
        staff_page(
            MANAGERS=Redirect(
                "assessment:staff-submission",
                (("pk", pk("window")), ("submission_pk", pk("allocated"))),
            )
        ),
        post=staff_page(MANAGERS=ALLOWED),
    ),
    # Assessors mark what is allocated to them; the marking named is the assessor's.
    "assessment:marking-list": Row(staff_page(assessor=OK)),
    "assessment:marking-detail": Row(staff_page(assessor=OK)),
    "assessment:marking-file": Row(staff_page(assessor=OK)),
    "assessment:marking-material": Row(staff_page(assessor=OK)),
    # ---- Reports and exports ----
    "reports:dashboard": MANAGERS_ONLY,
    "reports:cohort-report": COHORT_A,
    "reports:milestone-list": Row(staff_page(FACILITATORS=OK, MANAGERS=OK)),
    "reports:cohort-milestones": COHORT_A,
    "reports:school-summary": Row(signed_in(FORBIDDEN, SCHOOL_LEADERS=OK)),  # their own school
    "reports:school-summary-pdf": Row(signed_in(FORBIDDEN, SCHOOL_LEADERS=OK)),
    "reports:export-list": Row(signed_in()),  # everyone's own exports, empty or not
    # An export is its requester's alone (the hub administrator's here), whatever the role.
    "reports:export-detail": Row(signed_in(MISSING, hub_administrator=OK)),
    "reports:audit-log": ADMINISTRATORS,
    "reports:export-progress": Row(signed_in(MISSING, hub_administrator=OK)),
    "reports:export-download": Row(signed_in(MISSING, hub_administrator=OK)),
    # Work Group engagement: the roster, the hub's area and grants, for hub managers.
    "reports:engagement-roster": MANAGERS_ONLY,
    "reports:engagement-area": MANAGERS_ONLY,
    "reports:grant-claim-list": MANAGERS_ONLY,
    "reports:grant-claim-update": MANAGERS_POST,
    # Applications may be exported by managers and school leaders (their schools' rows).
    "reports:export-create": Row(staff_page(SCHOOL_LEADERS=OK, MANAGERS=OK)),
    # ---- DfE data exchange (dfe, issue 21): the area's home and the sync log for managers;
    # the connection's settings (its token above all) for administrators only ----
    "dfe:home": MANAGERS_ONLY,
    "dfe:call-list": MANAGERS_ONLY,
    "dfe:connection-create": ADMINISTRATORS,
    "dfe:connection": ADMINISTRATORS,
    "dfe:connection-test": Row(
        staff_page(hub_administrator=NOT_ALLOWED), post=staff_page(hub_administrator=ALLOWED)
    ),
    "dfe:delivery-partners": ADMINISTRATORS,
    # ---- DfE data exchange (dfe): declarations and statements ----
    "dfe:declaration-list": MANAGERS_ONLY,
    "dfe:declaration-submit": MANAGERS_POST,
    "dfe:declaration-void": MANAGERS_POST,
    "dfe:statement-list": MANAGERS_ONLY,
    # ---- The DfE data exchange: changes owed to DfE ----
    "dfe:outgoing-list": MANAGERS_ONLY,  # dfe.exchange_with_dfe
    "dfe:outgoing-send-again": MANAGERS_POST,
    # ---- DfE reconciliation: hub administrators and programme leads (dfe.exchange_with_dfe) ----
    "dfe:reconciliation": MANAGERS_ONLY,
    "dfe:sync-now": MANAGERS_POST,
    "dfe:dfe-application-invite": MANAGERS_POST,
    "dfe:dfe-application-link": MANAGERS_POST,
    "dfe:dfe-application-unlink": MANAGERS_POST,
    "dfe:disagreement-acknowledge": MANAGERS_POST,
    "dfe:dfe-application-decision-send": MANAGERS_POST,
    "dfe:dfe-application-create": MANAGERS_POST,
    "dfe:application-remind": MANAGERS_POST,
    # ---- Accounts (allauth): signing in, passwords, email addresses, MFA ----
    "account_login": Row(public(SIGNED_IN=Redirect("home"))),
    "account_signup": Row(public(SIGNED_IN=Redirect("home"))),
    "account_logout": Row(signed_in(anonymous=Redirect("home"))),  # a page with a button
    "account_inactive": Row(public()),
    "account_reauthenticate": Row(signed_in()),
    "account_email": Row(signed_in()),
    "account_email_verification_sent": Row(public()),
    "account_change_password": Row(signed_in()),
    "account_set_password": Row(signed_in(Redirect("account_change_password"))),
    "account_reset_password": Row(public()),
    "account_reset_password_done": Row(public()),
    "account_reset_password_from_key": Row(public()),  # a bad key: a page saying so
    "account_reset_password_from_key_done": Row(public()),
    "account_confirm_email": Row(public()),  # a bad key: a page saying so
    # Only part-way through signing in; otherwise back to the start.
    "account_confirm_login_code": Row(
        public(anonymous=Redirect("account_login"), SIGNED_IN=Redirect("home"))
    ),
    "mfa_authenticate": Row(
        public(anonymous=Redirect("account_login"), SIGNED_IN=Redirect("home"))
    ),
    "mfa_index": Row(signed_in()),
    # Only for people with an authenticator; the rest are sent to re-enter their password.
    "mfa_reauthenticate": Row(
        signed_in(Redirect("account_reauthenticate"), STAFF_ALL=OK), post=expect(ALLOWED)
    ),
    # Changing authenticators asks for the password again first.
    "mfa_activate_totp": Row(signed_in(Redirect("account_reauthenticate"))),
    "mfa_generate_recovery_codes": Row(signed_in(Redirect("account_reauthenticate"))),
    "mfa_deactivate_totp": Row(
        signed_in(MISSING, STAFF_ALL=Redirect("account_reauthenticate")),  # no TOTP: nothing
        post=expect(ALLOWED),
    ),
    # Nobody in the scenario has made recovery codes.
    "mfa_view_recovery_codes": Row(signed_in(MISSING)),
    "mfa_download_recovery_codes": Row(signed_in(MISSING)),
}


# ---- The scenario, built once for the module ----


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker, tmp_path_factory):
    """The hub, built once and rolled back at the end: every test runs in a savepoint of it."""
    from django.test.utils import override_settings

    media = tmp_path_factory.mktemp("access-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            built = scenario_build()
            built.objects["media"] = media
            yield built
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, scenario):
    """The scenario's uploads stay where it put them (the root conftest's fixture, replaced)."""
    settings.MEDIA_ROOT = scenario.objects["media"]


def _client_as(client, scenario, role):
    if role != "anonymous":
        sign_in(client, scenario.people[role])
    return client


def _outcome_matches(response, expected, s) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response.url.startswith(
            reverse("account_login") + "?next="
        )
    if isinstance(expected, Redirect):
        return response.status_code == 302 and response.url.split("?")[0] == expected.url(s)
    return response.status_code == expected


def _describe(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} to {response.url}"
    return str(response.status_code)


# ---- Every pattern has a row ----


def test_every_url_pattern_is_in_the_matrix():
    """A new URL pattern fails here until MATRIX says who may use it (the admin has its rule)."""
    patterns = {n: r for n, r in resolver_patterns().items() if not r.startswith("admin/")}

    missing = sorted(f"{name} ({patterns[name]})" for name in patterns.keys() - MATRIX.keys())
    stale = sorted(MATRIX.keys() - patterns.keys())

    assert not missing, "URL patterns without a row in MATRIX: " + ", ".join(missing)
    assert not stale, "MATRIX rows for URL patterns that no longer exist: " + ", ".join(stale)


# ---- GET: every pattern, every role ----

GET_CASES = [pytest.param(name, role, id=f"{name}-{role}") for name in MATRIX for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), GET_CASES)
def test_get(client, scenario, name, role):
    expected = MATRIX[name].get[role]
    url = url_for(name, scenario)

    response = _client_as(client, scenario, role).get(url)

    assert _outcome_matches(response, expected, scenario), (
        f"GET {url} as {role}: expected {expected}, got {_describe(response)}"
    )
    # Every answer carries the content security policy: pages, refusals, files and redirects.
    assert_csp(response, loosened=CSP_LOOSENED.get(name) if response.status_code == 200 else None)


# The one page whose policy is wider: the email preview shows emails' inline styles.
CSP_LOOSENED = {"reminders:email-preview": {"style-src-attr": {"'unsafe-inline'"}}}


# ---- A missing object answers like an existing one to whoever may not use the page ----


def _missing_url(name: str, s) -> str:
    """The row's URL with each object it names swapped for one that does not exist."""
    kwargs = {k: v(s) if callable(v) else v for k, v in ARGS.get(name, {}).items()}
    swapped = {k: 999999 for k, v in ARGS[name].items() if getattr(v, "is_pk", False)}
    return reverse(name, kwargs=kwargs | swapped)


MISSING_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, row in MATRIX.items()
    if any(getattr(v, "is_pk", False) for v in ARGS.get(name, {}).values())
    for role in ROLES
    if row.get[role] in (LOGIN, FORBIDDEN)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), MISSING_CASES)
def test_a_missing_object_is_refused_like_an_existing_one(client, scenario, name, role):
    """Someone refused a kind of page cannot learn from it which objects exist."""
    url = _missing_url(name, scenario)
    expected = MATRIX[name].get[role]

    response = _client_as(client, scenario, role).get(url)

    assert _outcome_matches(response, expected, scenario), (
        f"GET {url} as {role}: expected {expected}, got {_describe(response)}"
    )
    # Every answer carries the content security policy: pages, refusals, files and redirects.
    assert_csp(response, loosened=CSP_LOOSENED.get(name) if response.status_code == 200 else None)


# The one page whose policy is wider: the email preview shows emails' inline styles.
CSP_LOOSENED = {"reminders:email-preview": {"style-src-attr": {"'unsafe-inline'"}}}


# ---- POST: whoever may not use a page changes nothing with one ----

PROJECT_APPS = (
    "npq_portal",
    "programmes",
    "cohorts",
    "participants",
    "assessment",
    "reports",
    "privacy",
    "dfe",
)


def _views(patterns=None, namespace: str = "") -> dict[str, object]:
    """Every named URL pattern's view function, by its namespaced name."""
    found = {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            found |= _views(pattern.url_patterns, inner)
        elif pattern.name:
            found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = pattern.callback
    return found


def _accepts_post(view) -> bool:
    view_class = getattr(view, "view_class", None)
    return (
        view_class is not None
        and "post" in view_class.http_method_names
        and hasattr(view_class, "post")
    )


VIEWS = _views()


def _database_fingerprint() -> str:
    """A digest of every row of the project's tables and of who holds which role."""
    digest = hashlib.sha256()
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    models.append(get_user_model().groups.through)
    for model in sorted(models, key=lambda m: m._meta.label):
        rows = model._base_manager.order_by("pk").values_list()
        digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


POST_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, row in MATRIX.items()
    if not name.startswith(("account_", "mfa_"))  # allauth's own forms
    and _accepts_post(VIEWS[name])
    for role in ROLES
    if (row.post or row.get)[role] in DENIED
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), POST_CASES)
def test_post_by_someone_refused_changes_nothing(client, scenario, name, role):
    """A POST gets the refusal a GET gets (or the POST-only page's), and the database is as it was."""
    url = url_for(name, scenario)
    expected = (MATRIX[name].post or MATRIX[name].get)[role]
    client = _client_as(client, scenario, role)
    before = _database_fingerprint()

    response = client.post(url, {})

    assert _outcome_matches(response, expected, scenario), (
        f"POST {url} as {role}: expected {expected}, got {_describe(response)}"
    )
    assert _database_fingerprint() == before, f"POST {url} as {role} changed the database"


# ---- The Django admin: one rule for all its pages ----


def _admin_url(route: str) -> str:
    """An admin route with its arguments filled in: an app's label, or object 1."""
    url = re.sub(r"\(\?P<app_label>[^)]*\)", "schools", route)
    url = re.sub(r"\(\?P<\w+>[^)]*\)|<[^>]+>", "1", url)
    return "/" + url.replace("^", "").replace("$", "")


ADMIN_URLS = sorted(
    {_admin_url(route) for route in resolver_patterns().values() if route.startswith("admin/")}
)
ADMIN_SIGN_IN = ("/accounts/login/?next=", "/admin/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in ROLES if r not in MANAGERS])
def test_the_admin_sends_everyone_but_managers_to_sign_in(client, scenario, role):
    """Every admin URL, with object 1 where it takes one: visitors and people without the
    admin (staff who are not managers included) are sent to sign in; the admin's own login
    page refuses someone already signed in, and its logout sends them back to the admin."""
    client = _client_as(client, scenario, role)
    wrong = []
    for url in ADMIN_URLS:
        response = client.get(url)
        if role != "anonymous" and url == "/admin/login/":
            ok = response.status_code == 403
        elif role != "anonymous" and url == "/admin/logout/":
            ok = response.status_code == 302 and response.url == "/admin/"
        else:
            ok = response.status_code == 302 and response.url.startswith(ADMIN_SIGN_IN)
        if not ok:
            wrong.append(f"{url}: {_describe(response)}")

    assert not wrong, f"admin URLs as {role}: " + "; ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("role", MANAGERS)
def test_managers_with_mfa_use_the_admin(client, scenario, role):
    """The index and a list open; no admin URL fails with a server error for them."""
    client = _client_as(client, scenario, role)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/schools/school/").status_code == 200
    # A model that left participants (issue 18) answers at its old address with its new one.
    moved = client.get("/admin/participants/school/?q=Oak")
    assert (moved.status_code, moved.url) == (301, "/admin/schools/school/?q=Oak")
    errors = [url for url in ADMIN_URLS if client.get(url).status_code >= 500]
    assert not errors, f"admin URLs failing as {role}: {errors}"


def test_every_admin_url_is_covered_by_the_admin_rule():
    """The admin tests above request every admin pattern, new ones included."""
    admin_routes = [route for route in resolver_patterns().values() if route.startswith("admin/")]

    assert len(ADMIN_URLS) == len(set(map(_admin_url, admin_routes))) > 100
