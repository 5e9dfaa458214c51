"""Exports: a file of rows someone asked for, made in the background when it is large."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessment.storage import private_storage
from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel


def export_upload_to(instance, filename: str) -> str:
    # A random name: the file's name on disk says nothing about whose data is in it.
    return f"reports/exports/{uuid.uuid4().hex}"


class ExportQuerySet(models.QuerySet):
    def for_user(self, user) -> "ExportQuerySet":
        """Only the person who asked for an export sees it or its file, whatever their role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(requested_by=user)

    def unfinished(self) -> "ExportQuerySet":
        return self.filter(status__in=[Export.Status.WAITING, Export.Status.RUNNING])

    def stalled(self, *, since) -> "ExportQuerySet":
        """Being prepared, but nothing written since `since`: its worker has died. A running
        export's every write (progress included) moves updated_at on."""
        return self.filter(status=Export.Status.RUNNING, updated_at__lt=since)


class Export(TimeStampedModel):
    """One export someone asked for: what, in which format, with which filters, and how far
    it has got. Holds personal data: its file has the rows and columns its owner may see."""

    class Kind(models.TextChoices):
        APPLICATIONS = "applications", "Applications"
        ENROLMENTS = "enrolments", "Places"
        ATTENDANCE = "attendance", "Attendance"
        OUTCOMES = "outcomes", "Assessment outcomes"
        SUBSCRIBERS = "subscribers", "Mailing-list subscribers"
        FUNDING_DECISIONS = "funding-decisions", "Funding decisions"
        CHARGES = "charges", "Charges"
        ENGAGEMENT_ROSTER = "engagement-roster", "Work Group engagement roster"
        GRANT_CLAIMS = "grant-claims", "Work Group grants"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to start"
        RUNNING = "running", "Being prepared"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    kind = models.CharField(max_length=30, choices=Kind)
    file_format = models.CharField("format", max_length=10, choices=Format)
    filters = models.JSONField(
        default=dict, blank=True, help_text="The list's filters when it was asked for."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.WAITING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(
        upload_to=export_upload_to, storage=private_storage, blank=True, max_length=200
    )
    file_name = models.CharField(max_length=200, help_text="The name it downloads as.")
    columns = models.JSONField(
        default=list, blank=True, help_text="The keys of the columns the file holds."
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("export_applications", "Can export applications"),
            ("export_enrolments", "Can export places"),
            ("export_attendance", "Can export attendance"),
            ("export_outcomes", "Can export assessment outcomes"),
            ("export_subscribers", "Can export mailing-list subscribers"),
            ("export_funding_decisions", "Can export funding decisions"),
            ("view_engagement", "Can see the hub's Work Group engagement and its area"),
            ("export_engagement", "Can export Work Group engagement rosters"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | (~Q(file="") & Q(finished_at__isnull=False)),
                name="export_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_file_format_display()}), {self.status}"

    def get_absolute_url(self) -> str:
        return address("reports:export-detail", kwargs={"pk": self.pk})

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ExportEvent(models.Model):
    """A record that someone took a list away as a file: who, when, which list, filtered how.

    Written for every export, downloaded at once or made in the background, and kept after the
    export and its file are forgotten, for the audit log. Holds personal data: the filters may
    hold a name someone searched for.
    """

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Export.Kind)
    file_format = models.CharField("format", max_length=10, choices=Export.Format)
    filters = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    export = models.ForeignKey(
        Export,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text="The export made in the background; blank for a file downloaded at once.",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        permissions = [
            ("view_audit_log", "Can see the audit log: who changed what, when and why"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_file_format_display()}) by user {self.by_id}"


class CohortMilestones(models.Model):
    """How current the milestone days kept for a cohort's places are (reports/milestone_days.py).

    `version` moves on with every change to its places' evidence; the days kept were worked
    out at `worked_out`, under the MILESTONES rules `rules` names. Kept days are current when
    both agree; otherwise a page or the periodic task works the cohort out again first.
    """

    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.CASCADE, primary_key=True, related_name="milestones_kept"
    )
    version = models.PositiveBigIntegerField(default=1)
    worked_out = models.PositiveBigIntegerField(default=0)
    rules = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "cohort milestones"

    def __str__(self) -> str:
        return f"Milestones of cohort {self.cohort_id}: version {self.version}"


class CohortMilestoneCounts(models.Model):
    """How many of a cohort's places the milestone page lists, can claim and have something
    due on `day`, every place and the funded ones, counted from its days as kept at
    `version` under the rules `rules` names (reports/milestone_days.py `milestone_counts`).
    Derived: counted again on another day, or once the cohort's days are worked out again."""

    cohort = models.OneToOneField(
        "cohorts.Cohort",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="kept_milestone_counts",
    )
    day = models.DateField()
    version = models.PositiveBigIntegerField()
    rules = models.CharField(max_length=64)
    places = models.PositiveIntegerField()
    claimable = models.PositiveIntegerField()
    due = models.PositiveIntegerField()
    funded = models.PositiveIntegerField()
    funded_claimable = models.PositiveIntegerField()
    funded_due = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "cohort milestone counts"

    def __str__(self) -> str:
        return f"Milestone counts of cohort {self.cohort_id} on {self.day}"


class KeptMilestoneListing(models.Model):
    """What a milestone page lists for its filters on `day`: its filters' programmes, years
    and cohorts, and each cohort's counts of places, as read at the milestones' version
    `version` under the rules `rules` names (reports/milestone_days.py
    `milestone_listing_kept`). Derived: read again once anything a milestone page lists from
    changes, on another day, and under other rules."""

    # What was asked for: whose cohorts, and the filters the listing depends on (a digest).
    scope = models.CharField(max_length=64, unique=True)
    version = models.PositiveBigIntegerField()
    day = models.DateField(db_index=True)
    rules = models.CharField(max_length=64)
    # JSON: [filter choices' rows, cohort options' rows, each cohort's id and six counts].
    listing = models.TextField()

    class Meta:
        verbose_name_plural = "kept milestone listings"

    def __str__(self) -> str:
        return f"Milestone listing kept on {self.day} at version {self.version}"


class KeptAreaPage(models.Model):
    """What the hub's area page shows for the school year asked for on `day`: the school years
    to choose from, the year shown and each local authority's open primary schools and engaged
    ones, as read at the roster's version `version` (reports/engagement.py `hub_area_page`).
    Derived: read again once anything the page is read from changes, and on another day."""

    # The school year asked for (its first calendar year), 0 for none or one out of range.
    asked = models.PositiveIntegerField(unique=True)
    version = models.PositiveBigIntegerField()
    day = models.DateField(db_index=True)
    # JSON: {"years": [year, ...], "year": year shown, "rows": [[id, code, name, schools,
    # engaged], ...]}.
    page = models.TextField()

    class Meta:
        verbose_name_plural = "kept area pages"

    def __str__(self) -> str:
        return f"Area page kept on {self.day} at version {self.version}"


class PlaceMilestones(models.Model):
    """One DfE-funded place's milestones as kept: the day each declaration is due by (its
    cohort's schedule; none where the programme has no retained-2) and the day its evidence
    supported it, worked out with no cut-off by date, so what holds on a day is every day
    kept on or before it (reports/milestones.py `days_as_of`). Derived: worked out again
    from the registers, progress and outcomes whenever they change."""

    enrolment = models.OneToOneField(
        "participants.Enrolment",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="kept_milestones",
    )
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="+")
    started_due = models.DateField()
    retained_1_due = models.DateField()
    retained_2_due = models.DateField(null=True)
    completed_due = models.DateField()
    started_on = models.DateField(null=True)
    retained_1_on = models.DateField(null=True)
    retained_2_on = models.DateField(null=True)
    completed_on = models.DateField(null=True)
    # Whether its application's funding stands funded (participants' `Enrolment.funded()`),
    # kept beside the days so the page's default list needs no join through applications.
    funded = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "place milestones"

    def __str__(self) -> str:
        return f"Milestones of place {self.enrolment_id}"


class KeptRosterPage(models.Model):
    """A page of the Work Group roster as it stood on a day, with its counts by status, as
    read at the roster's version `version` on `day` (reports/engagement.py
    `roster_standing_kept`). Derived: read again once anything the roster is read from
    changes, and on another day."""

    # What was asked for: the school year, the day, the programme and the page (a digest).
    scope = models.CharField(max_length=64, unique=True)
    version = models.PositiveBigIntegerField()
    day = models.DateField(db_index=True)
    # JSON: {"counts": {label: number}, "start": first line's place, "lines": [[...], ...]}.
    standing = models.TextField()

    class Meta:
        verbose_name_plural = "kept roster pages"

    def __str__(self) -> str:
        return f"Roster page kept on {self.day} at version {self.version}"
