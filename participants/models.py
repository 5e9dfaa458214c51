from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from npq_portal.models import TimeStampedModel


class SchoolQuerySet(models.QuerySet):
    def open(self) -> "SchoolQuerySet":
        return self.exclude(status_code=School.Status.CLOSED)

    def search(self, text: str) -> "SchoolQuerySet":
        """Schools whose URN, UKPRN, postcode or name matches what someone typed."""
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
            schools = schools.filter(name_normalised__contains=word)
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
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    def save(self, *args, **kwargs) -> None:
        self.name_normalised = normalise_name(self.name)
        self.postcode_normalised = normalise_postcode(self.postcode)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("participants:school-list") + f"?q={self.urn}"

    @property
    def is_open(self) -> bool:
        return self.status_code != self.Status.CLOSED


class LocalAuthority(models.Model):
    """A local authority, as GIAS names it; some NPQ applicants work for one directly."""

    code = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=100)

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
        return reverse("participants:gias-import-detail", kwargs={"pk": self.pk})

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


class FundingDecision(TimeStampedModel):
    """A funding outcome worked out for someone, with the rule set, facts and reason behind it.

    Holds personal data: the facts about a person's job and workplace.
    """

    subject = models.CharField(
        max_length=120, help_text="What it decides, e.g. participants.application:12."
    )
    rules = models.CharField("rule set", max_length=20)
    facts = models.JSONField(help_text="The facts as evaluated, list memberships included.")
    list_versions = models.JSONField(
        default=dict, blank=True, help_text="The eligibility list versions used, by kind."
    )
    status = models.CharField(max_length=60)
    funded = models.BooleanField()
    subject_to_review = models.BooleanField(default=False)
    reason = models.TextField()
    bursary_eligible = models.BooleanField(null=True, blank=True)
    bursary_amount = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_status = models.CharField(max_length=60, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(override_status="") | ~Q(override_reason=""),
                name="funding_override_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.effective_status} under rules {self.rules}"

    @property
    def effective_status(self) -> str:
        """The override where staff made one, else the calculated outcome."""
        return self.override_status or self.status

    @property
    def effective_funded(self) -> bool:
        if self.override_status:
            return self.override_status == "marked_funded_by_policy"
        return self.funded


class FundingOverride(models.Model):
    """Each time staff marked a decision funded or not by policy: who, when and why."""

    decision = models.ForeignKey(
        FundingDecision, on_delete=models.CASCADE, related_name="overrides"
    )
    status = models.CharField(max_length=60)
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.status}"


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self) -> "SubscriberQuerySet":
        """On the list: confirmed their address and not unsubscribed since."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscriber(TimeStampedModel):
    """Someone on the mailing list for news of programmes; no account needed.

    Holds personal data: name, email address and school.
    """

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    programmes = models.ManyToManyField(
        "programmes.Programme", related_name="subscribers", blank=True
    )
    consent_text = models.TextField(help_text="The words they agreed to, as shown to them.")
    consented_at = models.DateTimeField()
    confirmations_sent = models.PositiveSmallIntegerField(default=0)
    confirmations_on = models.DateField(
        null=True, blank=True, help_text="The day confirmations_today counts."
    )
    confirmations_today = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_subscribed(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class ApplicationQuerySet(models.QuerySet):
    def for_user(self, user) -> "ApplicationQuerySet":
        """Hub staff see every application; anyone else sees their own."""
        if user.has_perm("participants.view_application"):
            return self
        from npq_portal.roles import Role, user_roles

        if Role.SCHOOL_LEADER not in user_roles(user):
            return self.filter(applicant=user)
        schools = SchoolLeadership.objects.filter(user=user).values("school")
        return self.filter(Q(applicant=user) | Q(school__in=schools))

    def sent(self) -> "ApplicationQuerySet":
        """Applications that have left the applicant's hands: everything but drafts."""
        return self.exclude(status=Application.Status.DRAFT)

    def from_schools_led_by(self, user) -> "ApplicationQuerySet":
        """Applications naming a school the user is a confirmed leader of (My school)."""
        return self.filter(school__in=SchoolLeadership.objects.filter(user=user).values("school"))

    def in_review_order(self) -> "ApplicationQuerySet":
        """The review queue's order: oldest sent first."""
        return self.order_by("submitted_at", "pk")

    def in_school_order(self) -> "ApplicationQuerySet":
        """My school's order: by school, then the applicant's surname."""
        return self.order_by("school__name", "applicant__last_name", "applicant__first_name", "pk")

    # The review queue's filters, by their query names: the list and its exports take these.
    FILTERS = ("status", "cohort", "programme", "year", "partner", "funding", "q")

    def matching(self, filters: Mapping[str, str]) -> "ApplicationQuerySet":
        """Applications matching the review queue's filters: status, cohort, programme,
        academic year, delivery partner, the funding outcome that stands, and a search of name,
        email and school. A filter left
        blank, or with a value it does not know, is left out, as the list has always done."""
        applications = self
        if filters.get("status") in Application.Status.values:
            applications = applications.filter(status=filters["status"])
        cohort = filters.get("cohort") or ""
        if cohort.isdigit():
            applications = applications.filter(cohort_id=int(cohort))
        if filters.get("programme"):
            applications = applications.filter(cohort__programme__slug=filters["programme"])
        year, partner = filters.get("year") or "", filters.get("partner") or ""
        if year.isdigit():
            applications = applications.filter(cohort__academic_year=int(year))
        if partner.isdigit():
            applications = applications.filter(cohort__delivery_partner_id=int(partner))
        if filters.get("funding"):
            # The outcome that stands: staff's override where there is one.
            code = filters["funding"]
            applications = applications.filter(
                Q(funding_decision__override_status=code)
                | Q(funding_decision__override_status="", funding_decision__status=code)
            )
        query = (filters.get("q") or "").strip()
        if query:
            applications = applications.filter(
                Q(applicant__email__icontains=query)
                | Q(applicant__first_name__icontains=query)
                | Q(applicant__last_name__icontains=query)
                | Q(school__name__icontains=query)
            )
        return applications


class Application(TimeStampedModel):
    """A teacher's request for a place in a cohort, from draft to decision.

    Holds personal data: the applicant's job, school, TRN and their headteacher's details.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_SCHOOL = "awaiting_school", "Waiting for school approval"
        SCHOOL_APPROVED = "school_approved", "Approved by school"
        SCHOOL_DECLINED = "school_declined", "Declined by school"
        ACCEPTED = "accepted", "Place offered"
        WAITLISTED = "waitlisted", "On the waiting list"
        REJECTED = "rejected", "Not offered a place"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {
        Status.DRAFT: {Status.AWAITING_SCHOOL, Status.WITHDRAWN},
        Status.AWAITING_SCHOOL: {Status.SCHOOL_APPROVED, Status.SCHOOL_DECLINED, Status.WITHDRAWN},
        Status.SCHOOL_APPROVED: {
            Status.ACCEPTED,
            Status.WAITLISTED,
            Status.REJECTED,
            Status.WITHDRAWN,
        },
        Status.SCHOOL_DECLINED: {Status.REJECTED, Status.WITHDRAWN},
        Status.WAITLISTED: {Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN},
        Status.ACCEPTED: set(),
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    }
    DECIDED = {Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN}

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,  # application_cohort_queue_idx leads with it
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True, help_text="The form's answers so far.")
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    trn = models.CharField("TRN", max_length=7, blank=True)
    headteacher_name = models.CharField(max_length=200, blank=True)
    headteacher_email = models.EmailField(blank=True)
    funding_decision = models.ForeignKey(
        FundingDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    school_decided_by = models.CharField(max_length=200, blank=True)
    school_decided_by_email = models.EmailField(blank=True)
    school_decided_at = models.DateTimeField(null=True, blank=True)
    school_comment = models.TextField(blank=True)
    approver_email = models.EmailField(
        blank=True, help_text="Who the approval link goes to: the headteacher or their delegate."
    )
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A waiting-list place offered: when the offer lapses."
    )
    offer_lapsed_at = models.DateTimeField(
        null=True, blank=True, help_text="They did not take up an offered place in time."
    )
    approval_chases = models.PositiveSmallIntegerField(
        default=0, help_text="Reminders sent to the approver so far."
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("decide_application", "Can accept, waitlist and reject applications")]
        # The review queue, oldest sent first (in_review_order): as a whole, by status (and the
        # approval chase and dashboard, by status and age), and by cohort.
        indexes = [
            models.Index(fields=["submitted_at", "id"], name="application_queue_idx"),
            models.Index(
                fields=["status", "submitted_at", "id"], name="application_status_queue_idx"
            ),
            models.Index(
                fields=["cohort", "submitted_at", "id"], name="application_cohort_queue_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "cohort"],
                condition=~Q(status__in=["rejected", "withdrawn"]),
                name="one_live_application_per_cohort",
            )
        ]

    def __str__(self) -> str:
        return f"Application {self.pk} for {self.cohort_id}"

    def get_absolute_url(self) -> str:
        return reverse("participants:application-detail", kwargs={"pk": self.pk})

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class ApplicationEvent(models.Model):
    """A change of an application's status: who, when and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Application.Status)
    to_status = models.CharField(max_length=20, choices=Application.Status)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(max_length=200, blank=True, help_text="Who, without an account.")
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class EnrolmentQuerySet(models.QuerySet):
    def for_user(self, user) -> "EnrolmentQuerySet":
        """Hub staff see every place; facilitators their cohorts' places; school leaders the
        places of their schools' applicants (the school on the application that made the
        place, as My school shows it); anyone else their own."""
        if user.has_perm("participants.view_enrolment"):
            return self
        from cohorts.models import Cohort
        from npq_portal.roles import Role, user_roles

        seen = Q(participant=user) | Q(cohort__in=Cohort.objects.for_user(user))
        if Role.SCHOOL_LEADER in user_roles(user):
            seen |= Q(
                application__school__in=SchoolLeadership.objects.filter(user=user).values("school")
            )
        return self.filter(seen)

    def holding_a_place(self) -> "EnrolmentQuerySet":
        """Enrolments that take one of the cohort's places."""
        return self.filter(status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED])


class Enrolment(TimeStampedModel):
    """A place in a cohort, made by accepting an application."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DEFERRED = "deferred", "Deferred"
        WITHDRAWN = "withdrawn", "Withdrawn"
        COMPLETED = "completed", "Completed"

    class AssessmentResult(models.TextChoices):
        NOT_YET = "", "Not yet assessed"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Not passed"

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments"
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.PROTECT, related_name="enrolments"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="enrolments"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    assessment_result = models.CharField(
        max_length=10,
        choices=AssessmentResult,
        blank=True,
        help_text="The latest released assessment outcome (set by the assessment app).",
    )
    transferred_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_to"
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "cohort"],
                condition=Q(status="active"),
                name="one_active_enrolment_per_cohort",
            )
        ]

    def __str__(self) -> str:
        return f"Enrolment {self.pk} in {self.cohort_id}"

    def current_place(self) -> "Enrolment":
        """This place, or the one it was transferred to (and on): where the person is now."""
        place = self
        while (moved := Enrolment.objects.filter(transferred_from=place).first()) is not None:
            place = moved
        return place

    def was_withdrawn(self) -> bool:
        """Withdrawn from the programme, not closed by a transfer to another cohort."""
        return (
            self.status == Enrolment.Status.WITHDRAWN
            and not Enrolment.objects.filter(transferred_from=self).exists()
        )


class EnrolmentEvent(models.Model):
    """A change to an enrolment: deferred, resumed, withdrawn, transferred or completed."""

    class WithdrawalReason(models.TextChoices):
        PERSONAL = "personal", "Personal or family reasons"
        WORKLOAD = "workload", "Workload"
        LEFT_SCHOOL = "left_school", "Left their school or teaching"
        CHANGED_ROLE = "changed_role", "Changed role"
        HEALTH = "health", "Health"
        PROGRAMME_NOT_RIGHT = "programme_not_right", "The programme was not right for them"
        OTHER = "other", "Other"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Enrolment.Status)
    to_status = models.CharField(max_length=20, choices=Enrolment.Status)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.from_status} → {self.to_status}"


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


class ReminderDone(models.Model):
    """A reminder rule finished for one object (a session, a module window): reruns skip it."""

    rule = models.CharField(max_length=60)
    about = models.CharField(max_length=120)
    done_at = models.DateTimeField(auto_now_add=True)
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "about"], name="reminder_done_once")]

    def __str__(self) -> str:
        return f"{self.rule} for {self.about}"


class ReminderOptOut(models.Model):
    """Someone who asked for no optional reminders (urgent and transactional email still go)."""

    email = models.EmailField(unique=True)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class Attendance(models.Model):
    """One participant's mark on a session's register. Holds personal data: attendance."""

    class Mark(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        ABSENT = "absent", "Absent"
        EXCUSED = "excused", "Excused"

    # Which marks count as attended is participation.ATTENDED, with the rest of that rule.

    session = models.ForeignKey(
        "cohorts.Session", on_delete=models.CASCADE, related_name="attendance"
    )
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    mark = models.CharField(max_length=10, choices=Mark)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "enrolment"], name="one_mark_per_session_and_place"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} at {self.session_id}: {self.mark}"


class AttendanceChange(models.Model):
    """A correction to a register: the mark before and after, who changed it, when and why."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="changes")
    from_mark = models.CharField(max_length=10, choices=Attendance.Mark)
    to_mark = models.CharField(max_length=10, choices=Attendance.Mark)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.attendance_id}: {self.from_mark} → {self.to_mark}"


class ModulePhaseDone(models.Model):
    """A participant finished the study or application phase of a module."""

    class Phase(models.TextChoices):
        STUDY = "study", "Study"
        APPLICATION = "application", "Application"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="phases_done")
    module = models.ForeignKey("programmes.Module", on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(max_length=12, choices=Phase)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "module", "phase"], name="one_record_per_module_phase"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} finished {self.phase} of {self.module_id}"
