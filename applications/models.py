"""Applications for a place, from draft to decision, with their history."""

import re
from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.db.models import Q

from funding.models import FundingDecision
from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel
from npq_portal.numbers import whole_number
from npq_portal.roles import Role, user_roles
from npq_portal.search import TextSearch
from schools.models import School, SchoolLeadership

# A question's key or a choice's value, as the application's steps name them.
ANSWER_KEY = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")

# What the review queue's search (?q=) looks in: the applicant's name and email, the school's name.
SEARCH_FIELDS = (
    "applicant__email",
    "applicant__first_name",
    "applicant__last_name",
    "school__name",
)


# Which applications a person sees (application_scope).
EVERY_APPLICATION, OWN_APPLICATIONS, OWN_AND_SCHOOLS = "every", "own", "own and schools"


def application_scope(user) -> str:
    """Hub staff see every application; a school leader their own and those naming a school
    they lead; anyone else their own."""
    if user.has_perm("applications.view_application"):
        return EVERY_APPLICATION
    if Role.SCHOOL_LEADER in user_roles(user):
        return OWN_AND_SCHOOLS
    return OWN_APPLICATIONS


def review_filters_read(filters: Mapping[str, str]) -> dict:
    """The review queue's filters it applies (ApplicationQuerySet.FILTERS), each as the query
    takes it: a status, a cohort's id, a programme's slug, an academic year, a delivery
    partner's id, a funding outcome's code, an answer as (question, choice), and a search's
    text. A filter left blank, or with a value it does not know, is left out."""
    found: dict = {}
    if filters.get("status") in Application.Status.values:
        found["status"] = filters["status"]
    for name in ("cohort", "year", "partner"):
        value = whole_number(filters.get(name) or "")
        if value is not None:
            found[name] = value
    for name in ("programme", "funding"):
        if filters.get(name):
            found[name] = str(filters[name])
    question, _, choice = (filters.get("answer") or "").partition("=")
    if ANSWER_KEY.fullmatch(question) and ANSWER_KEY.fullmatch(choice):
        found["answer"] = (question, choice)
    query = (filters.get("q") or "").strip()
    if query:
        found["q"] = query
    return found


class ApplicationQuerySet(models.QuerySet):
    def for_user(self, user) -> "ApplicationQuerySet":
        """Hub staff see every application; anyone else sees their own (application_scope)."""
        return self.in_scope(application_scope(user), user.pk)

    def in_scope(self, scope: str, user_id: int) -> "ApplicationQuerySet":
        """The applications a person with this scope (application_scope) and id sees."""
        if scope == EVERY_APPLICATION:
            return self
        if scope == OWN_APPLICATIONS:
            return self.filter(applicant_id=user_id)
        return self.own_or_from_schools_led_by(user_id)

    def own_or_from_schools_led_by(self, user_id: int) -> "ApplicationQuerySet":
        """A school leader's applications: their own, and those naming a school they lead."""
        schools = SchoolLeadership.objects.filter(user_id=user_id).values("school")
        return self.filter(Q(applicant_id=user_id) | Q(school__in=schools))

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
    FILTERS = ("status", "cohort", "programme", "year", "partner", "funding", "answer", "q")

    def matching(self, filters: Mapping[str, str]) -> "ApplicationQuerySet":
        """Applications matching the review queue's filters: status, cohort, programme,
        academic year, delivery partner, the funding outcome that stands, and a search of name,
        email and school (which finds the matching people and schools as it is made, a query
        each: npq_portal.search.TextSearch). A filter left blank, or with a value it does not
        know, is left out, as the list has always done (review_filters_read)."""
        return self.matching_read(review_filters_read(filters))

    def matching_read(self, values: Mapping) -> "ApplicationQuerySet":
        """As `matching`, for the filters review_filters_read gave."""
        applications = self
        if "status" in values:
            applications = applications.filter(status=values["status"])
        if "cohort" in values:
            applications = applications.filter(cohort_id=values["cohort"])
        if "programme" in values:
            applications = applications.filter(cohort__programme__slug=values["programme"])
        if "year" in values:
            applications = applications.filter(cohort__academic_year=values["year"])
        if "partner" in values:
            applications = applications.filter(cohort__delivery_partner_id=values["partner"])
        if "funding" in values:
            # The outcome that stands: staff's override where there is one.
            code = values["funding"]
            applications = applications.filter(
                Q(funding_decision__override_status=code)
                | Q(funding_decision__override_status="", funding_decision__status=code)
            )
        # An answer given, as question=choice ("mastery=other_way"): one of the questions with
        # fixed choices (applications.steps.answer_filter_choices), kept in `answers`.
        if "answer" in values:
            question, choice = values["answer"]
            applications = applications.filter(**{f"answers__{question}": choice})
        if "q" in values:
            applications = applications.filter(
                TextSearch(values["q"]).q(Application, SEARCH_FIELDS, large=True)
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
    school_approved = models.BooleanField(
        null=True, blank=True, help_text="The school's decision: approved, declined, or not made."
    )
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
    decided_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was accepted, rejected or withdrawn."
    )
    approval_chases = models.PositiveSmallIntegerField(
        default=0, help_text="Reminders sent to the approver so far."
    )
    team = models.BooleanField(
        default=False,
        help_text="A school's sign-up of its team for a Work Group, made by its maths lead or "
        "headteacher (the applicant); accepted or declined as one.",
    )
    prerequisites_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prerequisites_overridden_at = models.DateTimeField(null=True, blank=True)
    prerequisites_override_reason = models.TextField(
        blank=True, help_text="Why staff accepted a school whose history does not allow it."
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
            # Some cohorts' applications in some statuses, counted from the index alone (the
            # DfE reconciliation's applications only in the portal, by cohorts covered).
            models.Index(fields=["cohort", "status", "id"], name="application_cohort_status_idx"),
            # Schools' Work Group sign-ups, a few thousand among a hundred thousand teachers'
            # applications, by cohort (the engagement roster of one programme read every
            # application of the year without it: 20 ms to 2 ms on the benchmark's data).
            models.Index(
                fields=["cohort", "submitted_at"],
                condition=Q(team=True),
                name="application_team_cohort_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "cohort"],
                condition=~Q(status__in=["rejected", "withdrawn"]),
                name="one_live_application_per_cohort",
            ),
            models.UniqueConstraint(
                fields=["school", "cohort"],
                condition=Q(team=True) & ~Q(status__in=["rejected", "withdrawn"]),
                name="one_live_team_sign_up_per_school_and_cohort",
            ),
        ]

    def __str__(self) -> str:
        return f"Application {self.pk} for {self.cohort_id}"

    def get_absolute_url(self) -> str:
        return address("applications:application-detail", kwargs={"pk": self.pk})

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
        # The audit log, newest first: a page of the largest history read through it (read
        # backwards), not every change sorted.
        indexes = [models.Index(fields=["at", "id"], name="application_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class TeamMember(models.Model):
    """A person a school named in one of a Work Group's role slots when it signed up.

    Holds personal data: the person's name and email address.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="team_members"
    )
    slot = models.ForeignKey("programmes.RoleSlot", on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_memberships",
        help_text="Their account, once linked or made.",
    )

    class Meta:
        ordering = ["application", "slot__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "email"], name="one_team_member_per_email"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
