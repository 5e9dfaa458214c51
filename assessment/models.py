from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel

from .storage import material_upload_to, private_storage, submission_upload_to


class AssessmentWindowQuerySet(models.QuerySet):
    def for_user(self, user) -> "AssessmentWindowQuerySet":
        """Hub staff see every window; facilitators see the windows of the cohorts they run
        (a programme-wide window counts for each of its cohorts)."""
        if user.has_perm("assessment.view_all_windows"):
            return self
        return self.filter(
            Q(cohort__facilitators=user)
            | Q(cohort__isnull=True, programme__cohorts__facilitators=user)
        ).distinct()

    def for_cohort(self, cohort) -> "AssessmentWindowQuerySet":
        """A cohort's windows: its own, and its programme's for every cohort."""
        return self.filter(programme_id=cohort.programme_id).filter(
            Q(cohort_id=cohort.pk) | Q(cohort__isnull=True)
        )

    def for_enrolment(self, enrolment) -> "AssessmentWindowQuerySet":
        """The windows a place belongs to: its cohort's."""
        return self.for_cohort(enrolment.cohort)

    def for_participant(self, user) -> "AssessmentWindowQuerySet":
        """The windows of any place the person has had (a withdrawn place still shows why)."""
        cohorts = models.Subquery(
            _enrolment_model().objects.filter(participant=user).values("cohort_id")
        )
        programmes = models.Subquery(
            _enrolment_model().objects.filter(participant=user).values("cohort__programme_id")
        )
        return self.filter(
            Q(cohort_id__in=cohorts) | Q(cohort__isnull=True, programme_id__in=programmes)
        )


def _enrolment_model():
    from django.apps import apps

    return apps.get_model("participants", "Enrolment")


class AssessmentWindow(TimeStampedModel):
    """When a programme's participants (or one cohort's) may submit their assessed case study."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="assessment_windows"
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessment_windows",
        help_text="Leave blank for a window open to every cohort of the programme.",
    )
    title = models.CharField(max_length=200, help_text="e.g. Summer 2028 assessment")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    results_release_at = models.DateTimeField()
    anonymous_marking = models.BooleanField(
        default=True,
        help_text="Assessors see a candidate number instead of the participant's name.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AssessmentWindowQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "pk"]
        permissions = [("view_all_windows", "Can see every assessment window")]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")),
                name="window_opens_before_it_closes",
                violation_error_message="The window must close after it opens.",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__lte=F("results_release_at")),
                name="window_results_after_close",
                violation_error_message="Results cannot be released before the window closes.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return address("assessment:window-detail", kwargs={"pk": self.pk})

    def has_opened(self, now=None) -> bool:
        return (now or timezone.now()) >= self.opens_at

    def has_closed(self, now=None) -> bool:
        return (now or timezone.now()) > self.closes_at


class CaseStudyMaterial(models.Model):
    """A document participants read for the case study, released when the window opens."""

    window = models.ForeignKey(AssessmentWindow, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=material_upload_to, storage=private_storage, max_length=200)
    original_filename = models.CharField(max_length=255)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class EligibilityException(models.Model):
    """Staff let a participant below the participation threshold take the assessment."""

    window = models.ForeignKey(
        AssessmentWindow, on_delete=models.CASCADE, related_name="eligibility_exceptions"
    )
    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.CASCADE, related_name="assessment_exceptions"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["window", "enrolment"], name="one_exception_per_window_and_place"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="exception_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Exception for {self.enrolment_id} in {self.window_id}"


class DeadlineExtension(models.Model):
    """Staff let one participant submit after the window closes, until a later time."""

    window = models.ForeignKey(
        AssessmentWindow, on_delete=models.CASCADE, related_name="deadline_extensions"
    )
    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.CASCADE, related_name="deadline_extensions"
    )
    until = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["window", "enrolment"], name="one_extension_per_window_and_place"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="extension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Extension for {self.enrolment_id} in {self.window_id} until {self.until}"


class Submission(TimeStampedModel):
    """A participant's case study for one window: a draft, then submitted once.

    Holds personal data: the participant's written work and the file they uploaded.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        VOIDED = "voided", "Voided"

    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.PROTECT, related_name="submissions"
    )
    window = models.ForeignKey(
        AssessmentWindow, on_delete=models.PROTECT, related_name="submissions"
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(blank=True)
    word_count = models.PositiveIntegerField(default=0)
    file = models.FileField(
        upload_to=submission_upload_to, storage=private_storage, blank=True, max_length=200
    )
    original_filename = models.CharField(max_length=255, blank=True)
    file_word_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Words in the uploaded file; blank if unreadable."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    last_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField(default=False, help_text="Submitted after the window closed.")
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "window"], name="one_submission_per_window_and_place"
            ),
            models.UniqueConstraint(
                fields=["enrolment", "attempt"],
                condition=Q(status="submitted"),
                name="one_submitted_submission_per_attempt",
            ),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="submission_attempt_from_1"),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="submission_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(late=False) | Q(submitted_at__isnull=False),
                name="submission_late_only_when_submitted",
            ),
            models.CheckConstraint(
                condition=~Q(status="voided") | Q(voided_at__isnull=False),
                name="submission_voided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk}: attempt {self.attempt} in {self.window_id}"

    @property
    def total_words(self) -> int:
        """The typed words and the uploaded file's words: what the word limit applies to."""
        return self.word_count + ((self.file_word_count or 0) if self.file else 0)

    @property
    def candidate_number(self) -> str:
        """What assessors call the writer when marking is anonymous: stable, and meaningless
        without the secret key (a plain id would show the order people submitted in)."""
        from django.utils.crypto import salted_hmac

        digest = salted_hmac("assessment.candidate", f"{self.window_id}:{self.enrolment_id}")
        return "C-" + digest.hexdigest()[:6].upper()


class MarkingQuerySet(models.QuerySet):
    def live(self) -> "MarkingQuerySet":
        """Markings of submissions still to be marked or marked: not of voided work."""
        return self.filter(submission__status=Submission.Status.SUBMITTED)

    def for_assessor(self, user) -> "MarkingQuerySet":
        """An assessor sees only the markings allocated to them, of submissions still live."""
        return self.live().filter(assessor=user)

    def marked(self) -> "MarkingQuerySet":
        return self.exclude(result="")


class Marking(TimeStampedModel):
    """One assessor's mark of one submission: the first mark, or the second (moderation)."""

    class Stage(models.TextChoices):
        FIRST = "first", "First mark"
        SECOND = "second", "Moderation"

    class Result(models.TextChoices):
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"

    class Moderation(models.TextChoices):
        NOT_NEEDED = "", "Not moderated"
        SAMPLE = "sample", "In the moderation sample"
        FAIL = "fail", "A fail: every fail is moderated"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="markings")
    stage = models.CharField(max_length=10, choices=Stage, default=Stage.FIRST)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="markings"
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    allocated_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=10, choices=Result, blank=True)
    criteria_met = models.JSONField(
        default=list, blank=True, help_text="The programme's criteria this work meets, by text."
    )
    feedback = models.TextField(blank=True)
    marked_at = models.DateTimeField(null=True, blank=True)
    moderation = models.CharField(
        max_length=10,
        choices=Moderation,
        blank=True,
        help_text="For a first mark: why it went to a second assessor, if it did.",
    )

    objects = MarkingQuerySet.as_manager()

    class Meta:
        ordering = ["allocated_at", "pk"]
        permissions = [
            ("mark_submission", "Can mark the submissions allocated to them"),
            ("allocate_marking", "Can allocate submissions to assessors"),
            ("resolve_marking", "Can resolve a disagreement between assessors"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "stage"], name="one_marking_per_submission_and_stage"
            ),
            models.CheckConstraint(
                condition=Q(result="") | (Q(marked_at__isnull=False) & ~Q(feedback="")),
                name="marking_result_has_time_and_feedback",
            ),
            models.CheckConstraint(
                condition=Q(stage="first") | Q(moderation=""),
                name="marking_only_first_mark_is_moderated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} of submission {self.submission_id}"

    def get_absolute_url(self) -> str:
        return address("assessment:marking-detail", kwargs={"pk": self.pk})


class OutcomeQuerySet(models.QuerySet):
    def released(self) -> "OutcomeQuerySet":
        return self.filter(released_at__isnull=False)


class Outcome(TimeStampedModel):
    """The result of one attempt, told to the participant when the window's results are out.

    Holds personal data: the participant's result and the feedback on their work.
    """

    class Result(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Not passed"
        VOIDED = "voided", "Voided"

    class Basis(models.TextChoices):
        FIRST_MARK = "first_mark", "First mark"
        AGREED = "agreed", "First mark confirmed by moderation"
        RESOLVED = "resolved", "Assessors disagreed; resolved by a programme lead"

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="outcome")
    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.PROTECT, related_name="assessment_outcomes"
    )
    window = models.ForeignKey(AssessmentWindow, on_delete=models.PROTECT, related_name="outcomes")
    attempt = models.PositiveSmallIntegerField()
    result = models.CharField(max_length=10, choices=Result)
    basis = models.CharField(max_length=10, choices=Basis)
    feedback = models.TextField(blank=True)
    reason = models.TextField(blank=True, help_text="Why a lead decided it, or why it was voided.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(basis="resolved") | ~Q(reason=""),
                name="outcome_resolution_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(result="voided") | Q(released_at__isnull=True),
                name="outcome_voided_is_never_released",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()}: attempt {self.attempt} in {self.window_id}"
