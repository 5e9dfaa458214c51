import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel

from .academic_years import academic_year_label

# The funding rule sets a cohort can recruit under (shared/FUNDING.md). funding.rules
# evaluates them; a test there checks that this list and its registry agree.
FUNDING_RULE_SETS = [("2025", "2025 rules"), ("2026", "2026 rules")]


class DeliveryPartner(TimeStampedModel):
    """The hub or partner organisation that delivers cohorts, with who to contact there."""

    class Kind(models.TextChoices):
        TEACHING_SCHOOL_HUB = "teaching_school_hub", "Teaching School Hub"
        MATHS_HUB = "maths_hub", "Maths Hub"
        PROVIDER = "provider", "NPQ lead provider"
        PARTNER = "partner", "Delivery partner"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=Kind, default=Kind.TEACHING_SCHOOL_HUB)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    region = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TermDateCalendarQuerySet(models.QuerySet):
    def default(self) -> "TermDateCalendar | None":
        """The calendar cohorts without one of their own follow (None until staff make one)."""
        return self.marked_default().first()

    def marked_default(self) -> "TermDateCalendarQuerySet":
        return self.filter(is_default=True)


class TermDateCalendar(TimeStampedModel):
    """The school holidays of a local authority or hub, which generated timetables avoid."""

    name = models.CharField(max_length=200, unique=True)
    local_authority = models.CharField(
        "local authority or hub",
        max_length=200,
        blank=True,
        help_text="Whose term dates these are, e.g. Cheshire West and Chester (896).",
    )
    is_default = models.BooleanField(
        "default calendar",
        default=False,
        help_text="Followed by every cohort that has no calendar of its own.",
    )
    notes = models.TextField(blank=True, help_text="e.g. where the dates come from.")

    objects = TermDateCalendarQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = verbose_name_plural = "term dates"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_term_calendar",
                violation_error_message="Another calendar is already the default.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return address("cohorts:termcalendar-detail", kwargs={"pk": self.pk})


class SchoolHoliday(models.Model):
    """A school holiday in a term-date calendar, from its first to its last day inclusive."""

    calendar = models.ForeignKey(
        TermDateCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    name = models.CharField(max_length=100, help_text="e.g. Autumn half term.")
    starts_on = models.DateField("first day", help_text="The first weekday without school.")
    ends_on = models.DateField("last day", help_text="The last weekday without school.")

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="school_holiday_in_order",
                violation_error_message="A holiday ends on or after its first day.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on} to {self.ends_on})"


def sees_every_cohort(user) -> bool:
    """Whether this person sees every cohort (hub staff), not only those they run."""
    return user.has_perm("cohorts.view_all_cohorts")


def cohort_name(short_name: str, academic_year: int, name: str) -> str:
    """A cohort as people name it, "NPQLPM 2026/27, Autumn": its programme's short name, its
    school year and its own name (Cohort.__str__, and lists that read only those values)."""
    return f"{short_name} {academic_year_label(academic_year)}, {name}"


class CohortQuerySet(models.QuerySet):
    def for_user(self, user) -> "CohortQuerySet":
        """Hub staff see every cohort; facilitators see the cohorts they run."""
        if sees_every_cohort(user):
            return self
        return self.run_by(user.pk)

    def run_by(self, user_id: int) -> "CohortQuerySet":
        """The cohorts this person runs (facilitates)."""
        return self.filter(facilitators=user_id)

    def matching(
        self, *, programme=None, academic_year=None, status: str | None = None, partner=None
    ) -> "CohortQuerySet":
        """Cohorts matching the cohort list's filters; each one left blank is left out."""
        cohorts = self
        if programme:
            cohorts = cohorts.filter(programme=programme)
        if academic_year:
            cohorts = cohorts.filter(academic_year=academic_year)
        if status:
            cohorts = cohorts.filter(status=status)
        if partner:
            cohorts = cohorts.filter(delivery_partner=partner)
        return cohorts

    def with_effective_fee(self) -> "CohortQuerySet":
        """Each cohort with `fee_due`: its own fee, or else its programme's default."""
        return self.annotate(fee_due=Coalesce("fee", "programme__default_fee"))

    def accepting_applications(self) -> "CohortQuerySet":
        """Open or full (a full cohort takes applications for its waiting list), and its
        application deadline (if it has one) not yet passed."""
        today = timezone.localdate()
        return self.filter(status__in=[Cohort.Status.OPEN, Cohort.Status.FULL]).filter(
            Q(application_deadline__isnull=True) | Q(application_deadline__gte=today)
        )


class Cohort(TimeStampedModel):
    """A delivery of a programme in one academic year."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for applications"
        FULL = "full", "Full"
        CLOSED = "closed", "Closed to applications"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        Status.DRAFT: {Status.OPEN, Status.CANCELLED},
        Status.OPEN: {Status.FULL, Status.CLOSED, Status.RUNNING, Status.CANCELLED},
        Status.FULL: {Status.OPEN, Status.CLOSED, Status.RUNNING},
        Status.CLOSED: {Status.OPEN, Status.RUNNING},
        Status.RUNNING: {Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="cohorts"
    )
    name = models.CharField(
        max_length=200, help_text="How people tell it apart, e.g. Autumn start, Cheshire & Wirral."
    )
    academic_year = models.PositiveSmallIntegerField(help_text="2025 means 2025/26.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    application_deadline = models.DateField(null=True, blank=True)
    delivery_partner = models.ForeignKey(
        DeliveryPartner, on_delete=models.PROTECT, related_name="cohorts"
    )
    venue = models.CharField(
        max_length=300, blank=True, help_text="Where face-to-face sessions happen."
    )
    online = models.BooleanField(default=False, help_text="Delivered online.")
    capacity = models.PositiveIntegerField()
    places_taken = models.PositiveIntegerField(
        default=0, editable=False, help_text="Accepted places, kept up to date by enrolments."
    )
    fee = models.PositiveIntegerField(
        "fee (£)",
        null=True,
        blank=True,
        help_text="In whole pounds: what a place costs when it is not funded. Blank for the "
        "programme's default fee; 0 for a free cohort.",
    )
    funding_rules = models.CharField(
        "funding rule set", max_length=20, choices=FUNDING_RULE_SETS, default="2026"
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="cohorts_run"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    cancelled_reason = models.CharField(max_length=500, blank=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    term_calendar = models.ForeignKey(
        TermDateCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cohorts",
        verbose_name="term dates",
        help_text="The school holidays its timetable avoids; blank follows the default calendar.",
    )

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-academic_year", "starts_on", "name"]
        permissions = [
            ("view_all_cohorts", "Can see every cohort"),
            ("change_cohort_status", "Can open, close, run, complete and cancel cohorts"),
        ]
        indexes = [
            # A kind of programme's school years (the engagement pages' year filter) read from
            # the index, not from every cohort of every year; the last change to any cohort
            # (the review queue's filter lists' stamp) read from its end.
            models.Index(fields=["programme", "academic_year"], name="cohort_programme_year"),
            models.Index(fields=["updated_at"], name="cohort_updated_at"),
            # The cohorts with a DfE milestone to come (those ending on or after a day: the
            # milestone page's default), found without reading every year's cohorts.
            models.Index(fields=["ends_on"], name="cohort_ends_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lt=F("ends_on")), name="cohort_starts_before_it_ends"
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="cohort_has_places"),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancelled_reason=""),
                name="cohort_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return cohort_name(self.programme.short_name, self.academic_year, self.name)

    def get_absolute_url(self) -> str:
        return address("cohorts:cohort-detail", kwargs={"pk": self.pk})

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    @property
    def academic_year_label(self) -> str:
        return academic_year_label(self.academic_year)

    @property
    def effective_fee(self) -> int:
        """What a place costs, in whole pounds, when it is not funded: the cohort's own fee, or
        else its programme's default (0 is free)."""
        return self.fee if self.fee is not None else self.programme.default_fee

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.places_taken)

    @property
    def location(self) -> str:
        if self.online and self.venue:
            return f"{self.venue} and online"
        return "Online" if self.online else self.venue


class CohortStatusChange(models.Model):
    """A record of a cohort moving from one status to another: who, when and why."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Cohort.Status)
    to_status = models.CharField(max_length=20, choices=Cohort.Status)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.cohort_id}: {self.from_status} → {self.to_status}"


class SessionQuerySet(models.QuerySet):
    def for_user(self, user) -> "SessionQuerySet":
        """Sessions of the cohorts the user may see."""
        return self.filter(cohort__in=Cohort.objects.for_user(user))

    def in_calendar_of(self, user) -> "SessionQuerySet":
        """Published sessions a person's calendar shows: those they lead, and those of the
        cohorts they run or have a place in (participants' enrolments, by relation name)."""
        return self.exclude(status=Session.Status.DRAFT).filter(
            Q(facilitator=user)
            | Q(cohort__in=Cohort.objects.filter(facilitators=user))
            | Q(
                cohort__in=Cohort.objects.filter(
                    enrolments__participant=user, enrolments__status="active"
                )
            )
        )

    def upcoming(self, now=None) -> "SessionQuerySet":
        """Scheduled sessions still to come (from `now`, by default this moment), soonest
        first."""
        return (
            self.filter(status=Session.Status.SCHEDULED, starts_at__gte=now or timezone.now())
            .select_related("cohort__programme")
            .order_by("starts_at", "pk")
        )


class Session(TimeStampedModel):
    """A dated occurrence of a conference, clinic, webinar or workshop for a cohort."""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", "Conference"
        CLINIC = "clinic", "Clinic"
        WEBINAR = "webinar", "Webinar"
        WORKSHOP = "workshop", "Workshop"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=20, choices=Kind)
    title = models.CharField(max_length=200)
    course = models.ForeignKey(
        "programmes.Course", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey(
        "programmes.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    module = models.ForeignKey(
        "programmes.Module",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a webinar that delivers a module.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField(max_length=300, blank=True)
    online_link = models.URLField(blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions_facilitated",
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="For a clinic run on several dates; blank means no limit."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised on each change so calendars update."
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="session_starts_before_it_ends"
            )
        ]
        indexes = [
            # Sessions still to come (a person's next sessions, their calendar): read from now
            # on, not found among every session of every year.
            models.Index(
                fields=["starts_at"],
                condition=Q(status="scheduled"),
                name="cohorts_session_scheduled",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return address("cohorts:session-update", kwargs={"pk": self.pk})

    @property
    def register_is_open(self) -> bool:
        """Its register may be taken: from the session's day (in London) on, never before.
        Whether the session is scheduled is checked apart, as it is refused differently."""
        return timezone.localdate(self.starts_at) <= timezone.localdate()


class SessionChange(models.Model):
    """A record of a session being moved or cancelled: the old times, who and why."""

    class Kind(models.TextChoices):
        MOVED = "moved", "Moved"
        CANCELLED = "cancelled", "Cancelled"
        SCHEDULED = "scheduled", "Scheduled"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    old_ends_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    new_ends_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.kind}"


class ModuleWindow(models.Model):
    """When a module opens for a cohort and when its study and application phases are due."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="module_windows")
    module = models.ForeignKey("programmes.Module", on_delete=models.PROTECT, related_name="+")
    opens_on = models.DateField()
    study_due_on = models.DateField()
    application_due_on = models.DateField()

    class Meta:
        ordering = ["opens_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "module"], name="one_window_per_module"),
            models.CheckConstraint(
                condition=Q(opens_on__lte=F("study_due_on"))
                & Q(study_due_on__lte=F("application_due_on")),
                name="module_window_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.module} ({self.opens_on} to {self.application_due_on})"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A secret calendar address, for a cohort or for a person, that can be revoked."""

    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cohort__isnull=False, owner__isnull=True)
                | Q(cohort__isnull=True, owner__isnull=False),
                name="feed_is_for_a_cohort_or_a_person",
            ),
            models.UniqueConstraint(
                fields=["cohort"],
                condition=Q(revoked_at__isnull=True, cohort__isnull=False),
                name="one_live_feed_per_cohort",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(revoked_at__isnull=True, owner__isnull=False),
                name="one_live_feed_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed for {self.cohort or self.owner}"

    def get_absolute_url(self) -> str:
        return address("cohorts:calendar-feed", kwargs={"token": self.token})
