"""Places and what participants do in them: enrolments, their history, attendance, progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from applications.models import Application
from cohorts.models import Cohort
from npq_portal.models import TimeStampedModel
from npq_portal.roles import Role, user_roles
from schools.models import SchoolLeadership


class EnrolmentQuerySet(models.QuerySet):
    def for_user(self, user) -> "EnrolmentQuerySet":
        """Hub staff see every place; facilitators their cohorts' places; school leaders the
        places of their schools' applicants (the school on the application that made the
        place, as My school shows it); anyone else their own."""
        if user.has_perm("participants.view_enrolment"):
            return self

        seen = Q(participant=user) | Q(cohort__in=Cohort.objects.for_user(user))
        if Role.SCHOOL_LEADER in user_roles(user):
            seen |= Q(
                application__school__in=SchoolLeadership.objects.filter(user=user).values("school")
            )
        return self.filter(seen)

    def funded(self) -> "EnrolmentQuerySet":
        """Places whose application's funding stands funded: staff's override where there is
        one, else the rules' outcome. A place with no funding decision is not funded."""
        decision = "application__funding_decision__"
        return self.filter(
            Q(**{f"{decision}override_status": "marked_funded_by_policy"})
            | Q(**{f"{decision}override_status": "", f"{decision}funded": True})
        )

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
