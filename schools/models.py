"""Where people work: GIAS schools, other institutions, DfE's eligibility lists, school leaders."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel
from npq_portal.search import contains_q

# Open primary schools, as hubs count them for the share of their area engaged in Work Groups:
# GIAS status Open, or Open but proposed to close (School.Status.OPEN and
# OPEN_PROPOSED_TO_CLOSE: proposed-to-open schools have no pupils yet), phase Primary or Middle
# deemed primary. School's partial index of open schools by la_code and phase serves an
# authority's count from the index alone.
OPEN_STATUSES = (1, 3)
PRIMARY_PHASES = ("Primary", "Middle deemed primary")
OPEN_PRIMARY = Q(status_code__in=OPEN_STATUSES, phase_name__in=PRIMARY_PHASES)


class SchoolQuerySet(models.QuerySet):
    def open(self) -> "SchoolQuerySet":
        return self.exclude(status_code=School.Status.CLOSED)

    def open_primary(self) -> "SchoolQuerySet":
        """Open primary schools, as hubs count them (OPEN_PRIMARY)."""
        return self.filter(OPEN_PRIMARY)

    def search(self, text: str) -> "SchoolQuerySet":
        """Schools whose URN, UKPRN, postcode, or name and town, match what someone typed: each
        word typed is in the name or the town ("oakfield chester")."""
        text = text.strip()
        if not text:
            return self.none()
        if text.isascii() and text.isdigit():
            if len(text) > 9:
                return self.none()
            return self.filter(Q(urn=int(text)) | Q(ukprn=text))
        postcode = normalise_postcode(text)
        if looks_like_postcode(postcode):
            return self.filter(postcode_normalised__startswith=postcode)
        words = normalise_name(text).split()
        if not words:  # only punctuation: nothing to look for
            return self.none()
        schools = self
        for word in words[:6]:
            schools = schools.filter(
                contains_q("name_normalised", word, ignore_case=False) | contains_q("town", word)
            )
        return schools


def normalise_postcode(text: str) -> str:
    return "".join(text.split()).upper()


def looks_like_postcode(text: str) -> bool:
    """An outward code at least (e.g. SW1A, M1, CH41 2AB): letters then a digit, no spaces."""
    return 2 <= len(text) <= 7 and text[0].isalpha() and any(c.isdigit() for c in text[:4])


def normalise_name(text: str) -> str:
    """Lower case, letters and digits only, so "St Mary's C of E" finds "St Marys CofE"."""
    kept = [c if c.isalnum() else " " for c in text.lower().replace("’", "").replace("'", "")]
    return " ".join("".join(kept).split())


class School(models.Model):
    """An establishment from DfE's Get Information About Schools (GIAS) extract."""

    class Status(models.IntegerChoices):
        OPEN = 1, "Open"
        CLOSED = 2, "Closed"
        OPEN_PROPOSED_TO_CLOSE = 3, "Open, but proposed to close"
        PROPOSED_TO_OPEN = 4, "Proposed to open"

    urn = models.PositiveIntegerField("URN", unique=True)
    ukprn = models.CharField("UKPRN", max_length=8, blank=True)
    name = models.CharField(max_length=255)
    name_normalised = models.CharField(max_length=255, editable=False)
    la_code = models.CharField("LA code", max_length=3, blank=True)
    la_name = models.CharField("local authority", max_length=100, blank=True)
    establishment_type_code = models.PositiveSmallIntegerField(null=True, blank=True)
    establishment_type_name = models.CharField(max_length=100, blank=True)
    status_code = models.PositiveSmallIntegerField(choices=Status, default=Status.OPEN)
    phase_name = models.CharField("phase", max_length=40, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    postcode_normalised = models.CharField(max_length=10, blank=True, editable=False)
    number_of_pupils = models.PositiveIntegerField(null=True, blank=True)
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    last_changed_date = models.DateField(null=True, blank=True)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["name", "urn"]
        # Byte-wise (pattern) comparison on PostgreSQL: each serves = and LIKE 'CH41%' alike,
        # whatever the database's collation, and is cheaper to keep up than a collated index
        # (the GIAS import writes every one). name_normalised has none: search looks inside
        # names (LIKE '%word%'), which no B-tree serves.
        indexes = [
            models.Index(
                fields=["ukprn"], name="school_ukprn_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["postcode_normalised"],
                name="school_postcode_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # The hub's area page counts each authority's open primary schools from this alone
            # (an index-only scan of a few thousand entries, not a scan of every school). The
            # phase is a column, not part of the condition: PostgreSQL writes a list of text
            # values back differently from how it was given, so the GIAS import, which drops
            # and makes indexes again from their definitions, would not make it as it was.
            models.Index(
                fields=["la_code", "phase_name"],
                name="school_open_la_phase_idx",
                condition=Q(status_code__in=OPEN_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    def save(self, *args, **kwargs) -> None:
        self.name_normalised = normalise_name(self.name)
        self.postcode_normalised = normalise_postcode(self.postcode)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return address("schools:school-list") + f"?q={self.urn}"

    @property
    def is_open(self) -> bool:
        return self.status_code != self.Status.CLOSED

    @property
    def is_junior(self) -> bool:
        """A junior school (years 3 to 6), by its name as GIAS gives it: some Work Group
        conditions exempt them."""
        name = self.name.lower()
        return "junior" in name and "infant" not in name


class LocalAuthority(models.Model):
    """A local authority, as GIAS names it; some NPQ applicants work for one directly."""

    code = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=100)
    in_hub_area = models.BooleanField(
        "in the hub's area",
        default=False,
        help_text="The hub serves this local authority's schools (engagement is reported on them).",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PrivateChildcareProvider(models.Model):
    """A private nursery or childminder registered with Ofsted, known by its Ofsted URN."""

    provider_urn = models.CharField("Ofsted URN", max_length=12, unique=True)
    name = models.CharField(max_length=255)
    postcode = models.CharField(max_length=10, blank=True)
    la_code = models.CharField("LA code", max_length=3, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider_urn})"


class GiasImport(TimeStampedModel):
    """One upload of the GIAS extract: its progress and what it changed."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to start"
        VALIDATING = "validating", "Checking the file"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed: nothing was imported"

    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.WAITING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    closed_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"GIAS import {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return address("schools:gias-import-detail", kwargs={"pk": self.pk})

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class EligibilityListQuerySet(models.QuerySet):
    def current(self) -> "EligibilityListQuerySet":
        return self.filter(is_current=True)


class EligibilityList(models.Model):
    """One uploaded version of a DfE eligibility list; the newest of each kind is current."""

    class Kind(models.TextChoices):
        PP50_SCHOOLS = "pp50_schools", "PP50 schools (by URN)"
        PP50_FURTHER_EDUCATION = "pp50_further_education", "PP50 further education (by UKPRN)"
        RISE = "rise", "RISE schools (by URN)"
        CHILDMINDERS = "childminders", "Childminders (by Ofsted URN)"
        LA_DISADVANTAGED_NURSERIES = (
            "la_disadvantaged_nurseries",
            "Local-authority disadvantaged nurseries (by URN)",
        )
        DISADVANTAGED_EARLY_YEARS = (
            "disadvantaged_early_years",
            "Disadvantaged early years settings (by URN or Ofsted URN)",
        )
        BURSARY_FURTHER_EDUCATION = (
            "bursary_further_education",
            "Further-education bodies named for the bursary (by UKPRN)",
        )

    # Which column holds the identifier, and which fact of the funding rules it feeds.
    IDENTIFIER = {
        Kind.PP50_SCHOOLS: "URN",
        Kind.PP50_FURTHER_EDUCATION: "UKPRN",
        Kind.RISE: "URN",
        Kind.CHILDMINDERS: "Ofsted URN",
        Kind.LA_DISADVANTAGED_NURSERIES: "URN",
        Kind.DISADVANTAGED_EARLY_YEARS: "URN or Ofsted URN",
        Kind.BURSARY_FURTHER_EDUCATION: "UKPRN",
    }
    FACT = {
        Kind.PP50_SCHOOLS: "on_pp50_school_list",
        Kind.PP50_FURTHER_EDUCATION: "on_pp50_further_education_list",
        Kind.RISE: "on_rise_list",
        Kind.CHILDMINDERS: "on_childminders_list",
        Kind.LA_DISADVANTAGED_NURSERIES: "on_la_disadvantaged_nursery_list",
        Kind.DISADVANTAGED_EARLY_YEARS: "on_disadvantaged_early_years_list",
        Kind.BURSARY_FURTHER_EDUCATION: "on_bursary_further_education_list",
    }

    kind = models.CharField(max_length=40, choices=Kind)
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    entry_count = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)

    objects = EligibilityListQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_current=True),
                name="one_current_eligibility_list_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, uploaded {self.uploaded_at:%d %b %Y}"


class EligibilityListsCurrentFrom(models.Model):
    """The date from which staff count DfE's eligibility lists as current: a list uploaded
    before it is out of date, as if never uploaded. The newest row applies; the rest are its
    history."""

    current_from = models.DateField(
        help_text="A list uploaded before this date counts as out of date until replaced."
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-pk"]
        verbose_name = "date the eligibility lists are current from"
        verbose_name_plural = "dates the eligibility lists are current from"

    def __str__(self) -> str:
        return f"Lists current from {self.current_from:%d %b %Y}"


class EligibilityListEntry(models.Model):
    """One institution on one version of an eligibility list."""

    eligibility_list = models.ForeignKey(
        EligibilityList, on_delete=models.CASCADE, related_name="entries"
    )
    identifier = models.CharField(max_length=20)
    name = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["eligibility_list", "identifier"], name="eligibility_entry_once_per_list"
            )
        ]

    def __str__(self) -> str:
        return self.identifier


class SchoolLeadership(models.Model):
    """A school leader's access to one school's applicants and participants, confirmed by staff."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="school_leaderships"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="leaderships")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="one_leadership_per_school")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} leads {self.school_id}"


class ProgrammeHistoryImport(TimeStampedModel):
    """A CSV of schools' earlier Work Group years that staff imported, and what came of it."""

    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=list, blank=True, help_text="The rows that were not imported, and why."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class SchoolProgrammeYear(models.Model):
    """One school's year in a Work Group programme: a place in the portal, or a year staff
    imported. Work Group prerequisites read these."""

    class Status(models.TextChoices):
        TAKING_PART = "taking_part", "Taking part"
        COMPLETED = "completed", "Completed"
        NOT_COMPLETED = "not_completed", "Did not complete"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Source(models.TextChoices):
        PORTAL = "portal", "A place in the portal"
        IMPORTED = "imported", "Imported by staff"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="programme_years")
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="school_years"
    )
    academic_year = models.PositiveSmallIntegerField(help_text="2025 means 2025/26.")
    status = models.CharField(max_length=20, choices=Status)
    source = models.CharField(max_length=10, choices=Source)
    history_import = models.ForeignKey(
        ProgrammeHistoryImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="years",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school", "academic_year", "programme"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "programme", "academic_year", "source"],
                name="one_programme_year_per_school_and_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id} in {self.programme_id} {self.academic_year}: {self.status}"
