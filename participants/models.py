"""Places and what participants do in them: enrolments, their history, attendance, progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from applications.models import Application
from cohorts.models import Cohort, sees_every_cohort
from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel
from npq_portal.numbers import whole_number
from npq_portal.roles import Role, user_roles
from schools.models import SchoolLeadership

from .storage import action_plan_upload_to, private_storage


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
    school_place = models.ForeignKey(
        "participants.SchoolPlace",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="For a Work Group: the school's place this person's place belongs to.",
    )
    role_slot = models.ForeignKey(
        "programmes.RoleSlot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a Work Group: the role the school named them in.",
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

    class DeferralReason(models.TextChoices):
        """Why a place is paused: DfE's own five reasons for a deferral, in words."""

        BEREAVEMENT = "bereavement", "Bereavement"
        LONG_TERM_SICKNESS = "long_term_sickness", "Long-term sickness"
        PARENTAL_LEAVE = "parental_leave", "Parental leave"
        CAREER_BREAK = "career_break", "Career break"
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

    @property
    def reason_in_words(self) -> str:
        """The reason as staff read it: a withdrawal's or deferral's from its list, else as typed."""
        reasons = {
            Enrolment.Status.WITHDRAWN: self.WithdrawalReason,
            Enrolment.Status.DEFERRED: self.DeferralReason,
        }.get(self.to_status)
        if reasons is not None and self.reason in reasons.values:
            return reasons(self.reason).label
        return self.reason


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


class ChargeQuerySet(models.QuerySet):
    # The charges list's filters, by their query names: the list and its export take these.
    FILTERS = ("status", "cohort", "programme", "payer")

    def matching(self, filters) -> "ChargeQuerySet":
        """Charges matching the charges list's filters: status, cohort, programme (by slug) and
        who pays. A filter left blank, or with a value it does not know, is left out."""
        charges = self
        if filters.get("status") in Charge.Status.values:
            charges = charges.filter(status=filters["status"])
        cohort = whole_number(filters.get("cohort") or "")
        if cohort is not None:
            charges = charges.filter(enrolment__cohort_id=cohort)
        if filters.get("programme"):
            charges = charges.filter(enrolment__cohort__programme__slug=filters["programme"])
        if filters.get("payer") in Charge.Payer.values:
            charges = charges.filter(payer=filters["payer"])
        return charges

    def for_listing(self) -> "ChargeQuerySet":
        """With what the list and the export show of each, in one query: oldest first."""
        return self.select_related(
            "enrolment__cohort__programme", "enrolment__participant"
        ).order_by("created_at", "pk")


class Charge(TimeStampedModel):
    """What a place that is not funded costs, who pays it, and how far payment has got.

    It belongs to the place (participants owns places, and a charge is made when one is): one
    charge a place, moved to the new place when a place is transferred. The payer's details are
    copied when it is made, as an invoice keeps them. Holds personal data: a self-paying
    participant's name and email address.
    """

    class Status(models.TextChoices):
        TO_INVOICE = "to_invoice", "To invoice"
        INVOICED = "invoiced", "Invoiced"
        PAID = "paid", "Paid"
        WAIVED = "waived", "Waived"

    class Payer(models.TextChoices):
        # The payment question's answers (applications.steps.PaymentForm).
        SCHOOL = "school", "School"
        TRUST = "trust", "Trust"
        SELF = "self", "Self-funded"

    # A payment settles an invoice, so a charge is invoiced before it is paid; a paid charge
    # is never waived (refund it outside the portal).
    TRANSITIONS = {
        Status.TO_INVOICE: {Status.INVOICED, Status.WAIVED},
        Status.INVOICED: {Status.PAID, Status.WAIVED},
        Status.PAID: set(),
        Status.WAIVED: set(),
    }

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="charge")
    payer = models.CharField(max_length=10, choices=Payer)
    payer_name = models.CharField(max_length=255, help_text="Who the invoice is made out to.")
    payer_reference = models.CharField(
        max_length=255, blank=True, help_text="The school's URN, or the participant's email."
    )
    payer_email = models.EmailField(blank=True, help_text="Who to send the invoice to.")
    payer_town = models.CharField(max_length=100, blank=True)
    payer_postcode = models.CharField(max_length=10, blank=True)
    amount = models.PositiveIntegerField(help_text="In whole pounds: the fee when it was made.")
    status = models.CharField(max_length=20, choices=Status, default=Status.TO_INVOICE)
    waived_reason = models.TextField(blank=True)

    objects = ChargeQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [("manage_charges", "Can see charges, mark them invoiced or paid, waive")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_has_an_amount"),
            models.CheckConstraint(
                condition=~Q(status="waived") | ~Q(waived_reason=""),
                name="charge_waived_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Charge {self.invoice_reference}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    @property
    def invoice_reference(self) -> str:
        return f"NPQ-{self.pk}"

    @property
    def last_change(self) -> "ChargeEvent | None":
        """The latest change (read from prefetched events where the list prefetched them)."""
        events = list(self.events.all())
        return events[-1] if events else None


class ChargeEvent(models.Model):
    """A change to a charge: made, invoiced, paid, waived or moved with a transfer; who, when
    and why."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Charge.Status, blank=True)
    to_status = models.CharField(max_length=20, choices=Charge.Status)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.charge_id}: {self.from_status or 'made'} → {self.to_status}"


def _places_of_members(user) -> models.QuerySet:
    """The school places a person is in the team of: not those they were withdrawn from (or
    replaced in)."""
    return (
        Enrolment.objects.filter(participant=user, school_place__isnull=False)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .values("school_place")
    )


def sees_every_school_place(user) -> bool:
    """Whether this person sees every school's place (SchoolPlaceQuerySet.for_user): hub
    staff who see every place, or every cohort (whose places are every place)."""
    return user.has_perm("participants.view_enrolment") or sees_every_cohort(user)


class SchoolPlaceQuerySet(models.QuerySet):
    def for_user(self, user) -> "SchoolPlaceQuerySet":
        """Hub staff see every school's place; a Work Group Lead the places in the cohorts they
        run; a school leader their schools' places; a team member their own school's place
        (while their own place in it is current or completed)."""
        if sees_every_school_place(user):
            return self
        return self.seen_by(user.pk)

    def seen_by(self, user_id: int) -> "SchoolPlaceQuerySet":
        """The places someone who is not hub staff sees (for_user): those of the cohorts they
        run, their own school's as a team member, and their schools' as a leader."""
        return self.filter(
            Q(cohort__in=Cohort.objects.run_by(user_id))
            | Q(pk__in=_places_of_members(user_id))
            | Q(school__in=SchoolLeadership.objects.filter(user=user_id).values("school"))
        )

    def editable_by(self, user) -> "SchoolPlaceQuerySet":
        """The places whose action plan and evaluation this person may write: their own
        school's (as a team member), or, for staff, those of the cohorts they may see."""
        if sees_every_cohort(user):
            return self
        return self.editable_by_id(user.pk)

    def editable_by_id(self, user_id: int) -> "SchoolPlaceQuerySet":
        """editable_by for someone who is not hub staff: the places of the cohorts they run,
        and their own school's."""
        return self.filter(
            Q(cohort__in=Cohort.objects.run_by(user_id)) | Q(pk__in=_places_of_members(user_id))
        )

    def holding_a_place(self) -> "SchoolPlaceQuerySet":
        """School places that take one of the Work Group's places."""
        return self.filter(status__in=[SchoolPlace.Status.ACTIVE, SchoolPlace.Status.COMPLETED])


class SchoolPlace(TimeStampedModel):
    """A school's place in a Work Group, made by accepting its team sign-up; each named
    person's place (Enrolment.school_place) belongs to it. Its action plan and evaluation
    return are the school's, written by its team or the Work Group Lead."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Taking part"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.PROTECT, related_name="school_places"
    )
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="work_group_places"
    )
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="school_place"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    completed_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    action_plan = models.TextField(blank=True)
    action_plan_file = models.FileField(
        upload_to=action_plan_upload_to, storage=private_storage, blank=True, max_length=200
    )
    action_plan_filename = models.CharField(
        max_length=255, blank=True, help_text="The uploaded file's name, as the school sent it."
    )
    action_plan_updated_at = models.DateTimeField(null=True, blank=True)
    evaluation_pupil_outcomes = models.TextField("pupil outcomes", blank=True)
    evaluation_practice = models.TextField("development of practice", blank=True)
    evaluation_professional_learning = models.TextField("professional learning", blank=True)
    evaluation_whole_school = models.TextField("whole-school policy", blank=True)
    evaluation_updated_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolPlaceQuerySet.as_manager()

    # The four headings Work Groups are evaluated under, in the order the return asks them.
    EVALUATION_HEADINGS = (
        ("evaluation_pupil_outcomes", "Pupil outcomes"),
        ("evaluation_practice", "Development of practice"),
        ("evaluation_professional_learning", "Professional learning"),
        ("evaluation_whole_school", "Whole-school policy"),
    )

    class Meta:
        ordering = ["cohort", "school__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "cohort"],
                condition=~Q(status="withdrawn"),
                name="one_school_place_per_cohort",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_on__isnull=False),
                name="school_place_completed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_on__isnull=False),
                name="school_place_withdrawn_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"School place {self.pk} in {self.cohort_id}"

    def get_absolute_url(self) -> str:
        return address("participants:school-place-detail", kwargs={"pk": self.pk})

    def has_action_plan(self) -> bool:
        return bool(self.action_plan.strip() or self.action_plan_file)

    def has_evaluation(self) -> bool:
        return any(getattr(self, name).strip() for name, _ in self.EVALUATION_HEADINGS)


class SchoolPlaceEvent(models.Model):
    """A change to a school's place or its team: completed, withdrawn, a member replaced."""

    school_place = models.ForeignKey(SchoolPlace, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=SchoolPlace.Status)
    to_status = models.CharField(max_length=20, choices=SchoolPlace.Status)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    staff_note = models.TextField(
        blank=True, help_text="Why, for hub staff only (a replacement's reason may be personal)."
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.school_place_id}: {self.from_status} → {self.to_status}"


class GrantClaim(TimeStampedModel):
    """A grant the hub owes a school for its place in a Work Group (the programme's grant for
    the year), and how far paying it has got."""

    class Status(models.TextChoices):
        OWED = "owed", "Owed"
        CLAIMED = "claimed", "Claim received"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    school_place = models.OneToOneField(
        SchoolPlace, on_delete=models.PROTECT, related_name="grant_claim"
    )
    amount = models.PositiveIntegerField("amount (£)")
    purpose = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status, default=Status.OWED)
    claimed_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"£{self.amount} for school place {self.school_place_id}"


class KeptCohortGrid(models.Model):
    """What a cohort's grid shows of its sessions, modules and each place's participation on
    `day`, as read at the grid's version `version` with the participation threshold
    `threshold` (participants/selectors.py `cohort_progress_grid_kept`); or, for a Work Group,
    its sessions and its people's marks (`work_group_grid`). Derived: read again once
    anything the grid is worked out from changes, on another day, once a session has started
    since, and under another threshold."""

    class Kind(models.TextChoices):
        GRID = "grid", "Cohort grid"
        WORK_GROUP = "work_group", "Work Group's attendance"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind)
    version = models.PositiveBigIntegerField()
    day = models.DateField(db_index=True)
    threshold = models.PositiveSmallIntegerField()
    # JSON: {"until": when the next session starts (ISO) or null, "sessions": [[id, title,
    # starts at], ...], and for a cohort grid "modules": [title, ...], "missing": [session id,
    # ...], "rows": {place id: [participation's eight values, marks, phases]}; for a Work
    # Group "taken": [session id, ...], "marks": {place id: {session id: mark}}}.
    grid = models.TextField()

    class Meta:
        verbose_name_plural = "kept cohort grids"
        constraints = [
            models.UniqueConstraint(fields=["cohort", "kind"], name="one_kept_grid_of_a_kind")
        ]

    def __str__(self) -> str:
        return f"Grid of cohort {self.cohort_id} kept on {self.day} at version {self.version}"
