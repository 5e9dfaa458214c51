"""The audit log: who changed what, when and why, from every history the portal keeps.

Each app records its own changes (RoleChange, CohortStatusChange, ApplicationEvent …). An
`AuditSource` says how to read one of those histories: which field holds the time, the person
and the reason, which fields name its subject, and how to describe a row. `AUDIT_SOURCES` lists
them; the log is one SQL UNION of (source, id, time) over them, newest first, and only the page
shown is then loaded, one query per source on the page, so the page's queries do not grow with
its rows. To add a history, write a source and append it to `AUDIT_SOURCES`.

A page reads each history only as far as the page reaches (each part of the UNION is ordered
and limited before they are merged), and the page counts the log only up to a hundred. A
search finds what each word matches in the tables application history names (people,
programmes, cohorts, applications) once, and asks that history, the large one, for its rows by
those keys; the small histories use the people found, and check the rest of their rows as they
are read (npq_portal.search.TextSearch).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.db import connections, models
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from applications.models import Application, ApplicationEvent
from assessment.models import DeadlineExtension, EligibilityException, Outcome
from cohorts.models import CohortStatusChange, SessionChange
from funding.models import FundingOverride
from funding.rules import MARKED_FUNDED_BY_POLICY
from npq_portal.models import PersonalDataRequest, RoleChange, User
from npq_portal.numbers import whole_number
from npq_portal.planning import joins_in_written_order
from npq_portal.roles import ROLE_SPECS, STAFF_ROLES
from npq_portal.search import TextSearch, contains_q
from participants.models import AttendanceChange, EnrolmentEvent
from schools.models import EligibilityList, GiasImport, SchoolLeadership

from .datasets import filters_described
from .models import ExportEvent

PERSON_FIELDS = ("first_name", "last_name", "email")


@dataclass(frozen=True)
class AuditFilters:
    """What the log is narrowed to; every part is optional."""

    text: str = ""
    kinds: tuple[str, ...] = ()
    person: User | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the log: when, who, what kind, about what (with a link), the change, why."""

    when: datetime.datetime
    who: User | None
    who_name: str  # who acted without an account, e.g. a headteacher from the emailed link
    kind: str
    subject: str
    url: str
    change: str
    reason: str


class AuditSource:
    """How to read one history into the log; subclasses fill in the class attributes."""

    key: str  # in the page's address: ?kind=role-changes
    label: str  # what the kind filter and each row call it
    model: type[models.Model]
    when: str  # the field holding when it happened
    who: str  # the foreign key to the person who did it
    reason: str = ""  # the field holding why, where the history keeps one
    subject_fields: tuple[str, ...] = ()  # text fields that name what it was about
    extra_search_fields: tuple[str, ...] = ()  # other text a search should find (by_name …)
    related: tuple[str, ...] = ()  # what describe() follows, joined in the page's query
    # A history large enough to be read only through indexes (its own text has trigram
    # indexes): a search finds the matching people, cohorts, applications … first and asks
    # for its rows by their keys (TextSearch.q). The others are small: read whole, their rows
    # are checked as they are read, with the people already found.
    large: bool = False

    def rows(self) -> models.QuerySet:
        """Every row of this history; a source may narrow it."""
        return self.model._default_manager.all()

    def matching(
        self, filters: AuditFilters, searches: Sequence[TextSearch] = ()
    ) -> models.QuerySet:
        """This history's rows that pass the filters, as (source, id, time) for the union;
        `searches` are the words of `filters.text`, each with what it matched (made once for
        every history; made here when not given)."""
        rows = self.rows().filter(self.filter_q(filters, searches))
        return (
            rows.order_by()  # a branch of a UNION may not be ordered on SQLite
            .annotate(
                audit_source=Value(self.key, output_field=CharField()),
                audit_id=F("pk"),
                audit_when=F(self.when),
            )
            .values_list("audit_source", "audit_id", "audit_when")
        )

    def filter_q(self, filters: AuditFilters, searches: Sequence[TextSearch] = ()) -> Q:
        q = Q()
        if filters.person is not None:
            q &= Q(**{self.who: filters.person})
        if filters.since is not None:
            q &= Q(**{f"{self.when}__gte": _start_of(filters.since)})
        # No day follows the calendar's last, so a "To" date there leaves the log open-ended.
        if filters.until is not None and filters.until < datetime.date.max:
            q &= Q(**{f"{self.when}__lt": _start_of(filters.until + datetime.timedelta(days=1))})
        # Every word must appear somewhere, so "Jane Smith" finds Jane Smith's changes.
        for search in searches or audit_searches(filters.text):
            q &= self.word_q(search)
        return q

    def search_fields(self) -> list[str]:
        """The fields a search looks in: who did it, the subject and why."""
        fields = [f"{self.who}__{name}" for name in PERSON_FIELDS]
        fields += [*self.subject_fields, *self.extra_search_fields]
        if self.reason:
            fields.append(self.reason)
        return fields

    def word_q(self, search: TextSearch) -> Q:
        """Rows in which one word of a search appears: in who did it, the subject or why."""
        return search.q(self.model, self.search_fields(), large=self.large)

    def load(self, ids: Iterable[int]) -> dict[int, models.Model]:
        """The rows with these ids, with everything describe() reads, in one query."""
        return self.rows().select_related(self.who, *self.related).in_bulk(list(ids))

    def entry(self, row, *, viewer: User) -> AuditEntry:
        subject, url, change = self.describe(row, viewer=viewer)
        return AuditEntry(
            when=getattr(row, self.when),
            who=getattr(row, self.who),
            who_name=self.who_name(row),
            kind=self.label,
            subject=subject,
            url=url,
            change=change,
            reason=getattr(row, self.reason) if self.reason else "",
        )

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        """(what it was about, a link to it the viewer may follow or "", what changed)."""
        raise NotImplementedError

    def who_name(self, row) -> str:
        return ""


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight in London at the start of `day`: the log's dates are the hub's dates."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _when(moment: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i") if moment else "no time"


def _link(viewer: User, permission: str, url: str) -> str:
    """`url` if the viewer may open that page (`permission` is what its view asks for), else ""."""
    return url if viewer.has_perm(permission) else ""


def person_label(person: User) -> str:
    """A person as the log and its filter name them: by name and address, or by address alone."""
    return f"{person} ({person.email})" if person.get_full_name() else person.email


def _application(application: Application, *, viewer: User) -> tuple[str, str]:
    """(what an application is, a link to it) for the histories about one."""
    url = _link(viewer, "applications.view_application", application.get_absolute_url())
    return f"{application.applicant}'s application to {application.cohort}", url


def _person_fields(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{name}" for name in PERSON_FIELDS)


def _moved(from_label: str, to_label: str) -> str:
    return f"{from_label} → {to_label}" if from_label != to_label else f"Still {from_label}"


class RoleChanges(AuditSource):
    key = "role-changes"
    label = "Role"
    model = RoleChange
    when = "changed_at"
    who = "by"
    reason = "reason"
    subject_fields = _person_fields("user")
    related = ("user",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        change = (
            f"Given the role {row.get_role_display()}"
            if row.granted
            else f"Role {row.get_role_display()} taken away"
        )
        url = _link(viewer, "npq_portal.view_user", row.user.get_absolute_url())
        return person_label(row.user), url, change


class CohortStatusChanges(AuditSource):
    key = "cohort-statuses"
    label = "Cohort status"
    model = CohortStatusChange
    when = "changed_at"
    who = "by"
    reason = "reason"
    subject_fields = ("cohort__name", "cohort__programme__short_name")
    related = ("cohort__programme",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = _link(viewer, "cohorts.view_all_cohorts", row.cohort.get_absolute_url())
        change = _moved(row.get_from_status_display(), row.get_to_status_display())
        return str(row.cohort), url, change


class SessionChanges(AuditSource):
    key = "sessions"
    label = "Session"
    model = SessionChange
    when = "changed_at"
    who = "by"
    reason = "reason"
    subject_fields = (
        "session__title",
        "session__cohort__name",
        "session__cohort__programme__short_name",
    )
    related = ("session__cohort__programme",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = _link(viewer, "cohorts.change_session", row.session.get_absolute_url())
        if row.kind == SessionChange.Kind.MOVED:
            change = f"Moved from {_when(row.old_starts_at)} to {_when(row.new_starts_at)}"
        elif row.kind == SessionChange.Kind.SCHEDULED:
            change = f"Scheduled for {_when(row.new_starts_at)}"
        else:
            change = f"Cancelled (was {_when(row.old_starts_at)})"
        return f"{row.session.title}, {row.session.cohort}", url, change


class ApplicationEvents(AuditSource):
    key = "applications"
    label = "Application"
    model = ApplicationEvent
    when = "at"
    who = "by"
    reason = "reason"
    subject_fields = (
        *_person_fields("application__applicant"),
        "application__cohort__name",
        "application__cohort__programme__short_name",
    )
    extra_search_fields = ("by_name",)
    related = ("application__applicant", "application__cohort__programme")
    large = True  # two or three changes an application (applications 0004's indexes)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        change = _moved(row.get_from_status_display(), row.get_to_status_display())
        return *_application(row.application, viewer=viewer), change

    def who_name(self, row) -> str:
        return row.by_name


class EnrolmentEvents(AuditSource):
    key = "places"
    label = "Place"
    model = EnrolmentEvent
    when = "at"
    who = "by"
    reason = "reason"
    subject_fields = (
        *_person_fields("enrolment__participant"),
        "enrolment__cohort__name",
        "enrolment__cohort__programme__short_name",
    )
    related = ("enrolment__participant", "enrolment__cohort__programme")

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        enrolment = row.enrolment
        url = _link(
            viewer,
            "participants.add_modulephasedone",  # what the staff progress page asks for
            reverse("participants:enrolment-progress-staff", kwargs={"pk": enrolment.pk}),
        )
        change = _moved(row.get_from_status_display(), row.get_to_status_display())
        return f"{enrolment.participant}'s place in {enrolment.cohort}", url, change


class FundingOverrides(AuditSource):
    """A decision names its subject as text ("applications.application:12"), not by a key."""

    key = "funding"
    label = "Funding override"
    model = FundingOverride
    when = "at"
    who = "by"
    reason = "reason"
    subject_fields = ("decision__subject",)
    related = ("decision",)

    def word_q(self, search: TextSearch) -> Q:
        # Find the applicants first, then their decisions by subject (indexed), rather than
        # matching every decision's subject against every application.
        subjects = (
            Application.objects.filter(search.q(Application, _person_fields("applicant")))
            .annotate(
                subject=Concat(
                    Value(f"{Application._meta.label_lower}:"),
                    Cast("pk", output_field=CharField()),
                    output_field=CharField(),
                )
            )
            .values("subject")
        )
        # A subject has no trigram index, and overrides are few: each override's decision is
        # checked, rather than every decision's subject read to find the few overridden.
        own = [field for field in self.search_fields() if field != "decision__subject"]
        return (
            search.q(self.model, own)
            | contains_q("decision__subject", search.text)
            | Q(decision__subject__in=subjects)
        )

    def load(self, ids: Iterable[int]) -> dict[int, models.Model]:
        overrides = super().load(ids)
        application_ids = {
            _application_id(override.decision.subject) for override in overrides.values()
        }
        applications = Application.objects.select_related("applicant", "cohort__programme").in_bulk(
            [pk for pk in application_ids if pk is not None]
        )
        for override in overrides.values():
            override.application = applications.get(_application_id(override.decision.subject))
        return overrides

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        funded = row.status == MARKED_FUNDED_BY_POLICY
        change = "Marked funded by hub policy" if funded else "Marked not funded by hub policy"
        change += f" (the rules said {'funded' if row.decision.funded else 'not funded'})"
        if row.application is None:
            return f"Funding decision {row.decision.subject}", "", change
        return *_application(row.application, viewer=viewer), change


def _application_id(subject: str) -> int | None:
    prefix, _, pk = subject.partition(":")
    return whole_number(pk) if prefix == Application._meta.label_lower else None


class AttendanceChanges(AuditSource):
    key = "attendance"
    label = "Register correction"
    model = AttendanceChange
    when = "at"
    who = "by"
    reason = "reason"
    subject_fields = (
        *_person_fields("attendance__enrolment__participant"),
        "attendance__session__title",
    )
    related = ("attendance__enrolment__participant", "attendance__session__cohort__programme")

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        session = row.attendance.session
        url = _link(
            viewer,
            "participants.view_attendance",
            reverse("participants:session-register", kwargs={"pk": session.pk}),
        )
        change = _moved(row.get_from_mark_display(), row.get_to_mark_display())
        subject = (
            f"{row.attendance.enrolment.participant} at {session.title} "
            f"({_when(session.starts_at)}), {session.cohort}"
        )
        return subject, url, change


class SchoolLeaderships(AuditSource):
    """Access to a school's people, as its leader, while it lasts (removal deletes the row)."""

    key = "school-leaders"
    label = "School leader access"
    model = SchoolLeadership
    when = "confirmed_at"
    who = "confirmed_by"
    subject_fields = (*_person_fields("user"), "school__name")
    related = ("user", "school")

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = _link(
            viewer,
            "schools.add_schoolleadership",
            reverse("schools:school-leaders", kwargs={"urn": row.school.urn}),
        )
        change = f"May see {row.school.name}'s applicants and participants, as its leader"
        return person_label(row.user), url, change


class GiasImports(AuditSource):
    key = "gias"
    label = "GIAS import"
    model = GiasImport
    when = "created_at"
    who = "uploaded_by"
    subject_fields = ("file_name",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = _link(viewer, "schools.view_giasimport", row.get_absolute_url())
        if row.status == GiasImport.Status.DONE:
            change = (
                f"Imported: {row.created_count} new, {row.updated_count} updated, "
                f"{row.closed_count} closed"
            )
        else:
            change = row.get_status_display()
        return f"GIAS extract {row.file_name}", url, change


class EligibilityLists(AuditSource):
    key = "eligibility-lists"
    label = "Eligibility list"
    model = EligibilityList
    when = "uploaded_at"
    who = "uploaded_by"
    subject_fields = ("file_name",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = _link(viewer, "schools.view_eligibilitylist", reverse("funding:eligibility-lists"))
        change = f"Uploaded, {row.entry_count} entr{'y' if row.entry_count == 1 else 'ies'}"
        return f"{row.get_kind_display()}: {row.file_name}", url, change


class _WindowDecisions(AuditSource):
    """A decision about one participant in one assessment window, linked to the window."""

    reason = "reason"
    subject_fields = (*_person_fields("enrolment__participant"), "window__title")
    related = ("enrolment__participant", "window")

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = _link(viewer, "assessment.view_assessmentwindow", row.window.get_absolute_url())
        return f"{row.enrolment.participant} in {row.window}", url, self.change(row)

    def change(self, row) -> str:
        """What was decided."""
        raise NotImplementedError


class EligibilityExceptions(_WindowDecisions):
    key = "assessment-exceptions"
    label = "Assessment exception"
    model = EligibilityException
    when = "at"
    who = "granted_by"

    def change(self, row) -> str:
        return "Allowed to take the assessment below the participation threshold"


class DeadlineExtensions(_WindowDecisions):
    key = "deadline-extensions"
    label = "Deadline extension"
    model = DeadlineExtension
    when = "at"
    who = "granted_by"

    def change(self, row) -> str:
        return f"May submit until {_when(row.until)}"


class Outcomes(_WindowDecisions):
    key = "outcomes"
    label = "Assessment outcome"
    model = Outcome
    when = "decided_at"
    who = "decided_by"

    def change(self, row) -> str:
        result, basis = row.get_result_display(), row.get_basis_display().lower()
        return f"{result} at attempt {row.attempt} ({basis})"


class Exports(AuditSource):
    """Every list taken away as a file; the record outlives the export and its file."""

    key = "exports"
    label = "Export"
    model = ExportEvent
    when = "at"
    who = "by"
    related = ("export",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        # An export's page is its owner's alone (Export.objects.for_user), while it is kept.
        url = ""
        if row.export is not None and row.export.requested_by_id == viewer.pk:
            url = row.export.get_absolute_url()
        change = f"Exported {row.rows} row{'s' if row.rows != 1 else ''}"
        described = filters_described(row.filters)
        if described:
            change += ", filtered by " + "; ".join(f"{name}: {value}" for name, value in described)
        return f"{row.get_kind_display()} ({row.get_file_format_display()})", url, change


class AdminLogEntries(AuditSource):
    key = "django-admin"
    label = "Django admin"
    model = LogEntry
    when = "action_time"
    who = "user"
    subject_fields = ("object_repr",)
    related = ("content_type",)

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        url = ""
        if row.action_flag != DELETION and row.content_type and _may_open_in_admin(viewer, row):
            url = row.get_admin_url()
        if row.action_flag == ADDITION:
            change = "Added"
        elif row.action_flag == DELETION:
            change = "Deleted"
        else:
            change = row.get_change_message() or "Changed"
        name = row.content_type.name if row.content_type else "record"
        return f"{name.capitalize()} “{row.object_repr}”", url, change


class PersonalDataRequests(AuditSource):
    """Subject access exports, erasures and retention runs: the person by id, what by counts."""

    key = "personal-data"
    label = "Personal data"
    model = PersonalDataRequest
    when = "at"
    who = "by"
    reason = "reason"

    def describe(self, row, *, viewer: User) -> tuple[str, str, str]:
        if row.person_id is None:
            subject, url = "Retention run", ""
        else:
            subject = f"Person {row.person_id}"
            url = _link(
                viewer,
                "npq_portal.view_user",
                reverse("staff:person-detail", kwargs={"pk": row.person_id}),
            )
        counts = [
            f"{number} {name.replace('_', ' ')}"
            for name, number in sorted((row.summary or {}).items())
            if isinstance(number, int) and number
        ]
        change = row.get_kind_display() + (f": {', '.join(counts)}" if counts else "")
        return subject, url, change


def _may_open_in_admin(viewer: User, row: LogEntry) -> bool:
    """The admin shows an object to staff who may view or change its model."""
    label, model = row.content_type.app_label, row.content_type.model
    return viewer.is_staff and (
        viewer.has_perm(f"{label}.view_{model}") or viewer.has_perm(f"{label}.change_{model}")
    )


# Every history in the log, in the order the kind filter offers them.
AUDIT_SOURCES: list[AuditSource] = [
    ApplicationEvents(),
    EnrolmentEvents(),
    FundingOverrides(),
    AttendanceChanges(),
    CohortStatusChanges(),
    SessionChanges(),
    EligibilityExceptions(),
    DeadlineExtensions(),
    Outcomes(),
    RoleChanges(),
    SchoolLeaderships(),
    GiasImports(),
    EligibilityLists(),
    Exports(),
    PersonalDataRequests(),
    AdminLogEntries(),
]


def audit_sources(keys: Sequence[str] = ()) -> list[AuditSource]:
    """The sources named by `keys`, or all of them when none is named."""
    return [source for source in AUDIT_SOURCES if not keys or source.key in keys]


def audit_searches(text: str) -> list[TextSearch]:
    """The words of a search of the log, each to be found in every history."""
    return [TextSearch(word) for word in text.split()]


def audit_log_rows(*, filters: AuditFilters) -> AuditRows:
    """Every change that passes the filters, newest first, as (source, id, time) rows to
    slice for a page and pass to audit_log_entries (one UNION ALL query), or to count. A
    search's words are found in the tables the histories name here, once for them all."""
    searches = audit_searches(filters.text)
    return AuditRows(
        [source.matching(filters, searches) for source in audit_sources(filters.kinds)]
    )


class AuditRows:
    """The log's (source, id, time) rows, newest first, sliced like a queryset (`rows[25:50]`)
    and counted (`rows[:101].count()`).

    Each history is read only as far as the slice reaches: each part of the UNION is ordered
    newest first and limited to the rows up to the slice's end before they are merged, so a
    history is read through its index on time, or only its matches sorted, not every matching
    change of every history merged and sorted. (SQLite orders no part of a UNION, so there the
    parts are merged whole.)

    A count reads the rows it counts, from the log's newest, in one query; a page within them
    (the first, whenever the log is counted) is then cut from them, with no query of its own.
    """

    ORDER = ("-audit_when", "-audit_id", "audit_source")

    def __init__(
        self,
        branches: Sequence[models.QuerySet],
        start: int = 0,
        stop: int | None = None,
        *,
        read: dict[int | None, list] | None = None,
    ):
        self.branches = list(branches)
        self.start, self.stop = start, stop
        # The rows read from the log's newest, by how far they reach, shared by its slices.
        self._read = {} if read is None else read
        self._sliced: list | None = None  # this slice's rows, once read (list() asks len())

    def __getitem__(self, index: slice) -> AuditRows:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("The audit log's rows are read a page at a time: rows[start:stop].")
        start, stop, _ = slice(index.start, index.stop).indices(10**18)
        start, stop = self.start + start, self.start + stop
        if self.stop is not None:
            start, stop = min(start, self.stop), min(stop, self.stop)
        return AuditRows(self.branches, start, stop, read=self._read)

    def __iter__(self):
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())

    def count(self) -> int:
        """How many rows the slice holds (reading those from the log's newest to its end)."""
        if self.stop not in self._read:
            self._read[self.stop] = self._query(0, self.stop)
        return len(self._read[self.stop][self.start :])

    def _rows(self) -> list[tuple[str, int, datetime.datetime]]:
        for reach, rows in self._read.items():
            if reach is None or (self.stop is not None and self.stop <= reach):
                return rows[self.start : self.stop]
        if self._sliced is None:
            self._sliced = self._query(self.start, self.stop)
        return self._sliced

    def _query(self, start: int, stop: int | None) -> list[tuple[str, int, datetime.datetime]]:
        if not self.branches or (stop is not None and stop <= start):
            return []
        branches = self.branches
        if stop is not None and len(branches) > 1 and self._parts_ordered():
            branches = [branch.order_by(*self.ORDER[:2])[:stop] for branch in branches]
        rows = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
        rows = rows.order_by(*self.ORDER)[start:stop]
        # Each part joins its history to the tables it names, reached from the history's rows
        # newest first. Searching every order of those joins in all sixteen parts took
        # PostgreSQL 5-12 ms to plan a search, longer than running it, for the same plans.
        with joins_in_written_order(rows.db):
            return list(rows)

    def _parts_ordered(self) -> bool:
        return connections[self.branches[0].db].features.supports_slicing_ordering_in_compound


def audit_log_entries(
    *, rows: Iterable[tuple[str, int, datetime.datetime]], viewer: User
) -> list[AuditEntry]:
    """The log's lines for a page of audit_log_rows: one query for each source on the page."""
    rows = list(rows)
    wanted: dict[str, list[int]] = defaultdict(list)
    for key, pk, _when_at in rows:
        wanted[key].append(pk)
    sources = {source.key: source for source in AUDIT_SOURCES}
    loaded = {key: sources[key].load(ids) for key, ids in wanted.items()}
    entries = []
    for key, pk, _when_at in rows:
        row = loaded[key].get(pk)
        if row is not None:  # deleted between the two queries
            entries.append(sources[key].entry(row, viewer=viewer))
    return entries


def audit_log_people() -> models.QuerySet:
    """Whom the log can be narrowed to: hub staff, who make nearly every change in it."""
    groups = [ROLE_SPECS[role].group_name for role in STAFF_ROLES]
    return (
        User.objects.filter(Q(groups__name__in=groups) | Q(is_staff=True))
        .distinct()
        .order_by("last_name", "first_name", "email")
    )
