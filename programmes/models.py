from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse

from npq_portal.models import TimeStampedModel


class ProgrammeQuerySet(models.QuerySet):
    def in_use(self) -> "ProgrammeQuerySet":
        """Programmes with an application or a place in any of their cohorts: who takes part
        in them (teachers one by one, or school teams) can no longer change."""
        return self.filter(
            Q(cohorts__applications__isnull=False) | Q(cohorts__enrolments__isnull=False)
        ).distinct()

    def offered(self) -> "ProgrammeQuerySet":
        """Programmes the hub still offers (retired ones keep their history but leave the
        catalogue)."""
        return self.filter(status=Programme.Status.OFFERED)

    def for_phase(self, phase: str) -> "ProgrammeQuerySet":
        field = Programme.PHASE_FIELDS.get(phase)
        return self.filter(**{field: True}) if field else self

    def in_catalogue_order(self) -> "ProgrammeQuerySet":
        """Families in the order the catalogue presents them, then by name."""
        family_rank = Case(
            *(
                When(family=value, then=Value(rank))
                for rank, value in enumerate(Programme.Family.values)
            ),
            default=Value(len(Programme.Family.values)),
        )
        return self.order_by(family_rank, "name")

    def search(self, text: str) -> "ProgrammeQuerySet":
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(short_name__icontains=text)
            | Q(summary__icontains=text)
            | Q(who_for__icontains=text)
        )


class Programme(TimeStampedModel):
    """A programme the hub offers: an NPQ, a support offer or a Maths Hub programme."""

    class Family(models.TextChoices):
        LEADERSHIP = "leadership", "Leadership NPQs"
        SPECIALIST = "specialist", "Specialist NPQs"
        SUPPORT = "support", "Support for new headteachers"
        MATHS_HUB = "maths_hub", "Maths Hub programmes"

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        RETIRED = "retired", "Retired"

    class Participation(models.TextChoices):
        INDIVIDUAL = "individual", "Individual teachers apply"
        SCHOOL_TEAM = "school_team", "Schools sign up a team"

    class Priority(models.TextChoices):
        ARRIVAL = "arrival", "In the order schools signed up"
        DISADVANTAGE = (
            "disadvantage",
            "Schools on the PP50 list first, then in the order they signed up",
        )

    class ContentSource(models.TextChoices):
        SOURCE_PAGES = "source_pages", "From the provider and hub pages"
        HUB = "hub", "Written by the hub (please review)"

    PHASE_FIELDS = {
        "early_years": "for_early_years",
        "primary": "for_primary",
        "secondary": "for_secondary",
    }
    PHASE_LABELS = {"early_years": "Early years", "primary": "Primary", "secondary": "Secondary"}

    slug = models.SlugField(
        max_length=80, unique=True, help_text="The address of its page, e.g. npq-headship."
    )
    course_identifier = models.CharField(
        "DfE course identifier",
        max_length=80,
        blank=True,
        help_text="For NPQs, DfE's identifier, e.g. npq-leading-primary-mathematics.",
    )
    short_name = models.CharField(max_length=40, help_text="e.g. NPQLPM")
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=20, choices=Family)
    for_early_years = models.BooleanField("early years", default=False)
    for_primary = models.BooleanField("primary", default=False)
    for_secondary = models.BooleanField("secondary", default=False)
    summary = models.TextField(help_text="One or two sentences for the catalogue.")
    who_for = models.TextField("who it is for")
    aims = models.TextField(blank=True)
    length = models.CharField(max_length=60, blank=True, help_text="e.g. 1 year, 18 months")
    length_months = models.PositiveSmallIntegerField(null=True, blank=True)
    prerequisites = models.TextField(blank=True)
    delivery_model = models.TextField(blank=True)
    curriculum_rationale = models.TextField("curriculum sequence", blank=True)
    assessment = models.TextField(blank=True)
    assessment_word_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most words a summative assessment submission may have; blank for no limit.",
    )
    assessment_criteria = models.TextField(
        blank=True, help_text="What assessors look for in a submission: one criterion a line."
    )
    module_phase_days = models.PositiveSmallIntegerField(
        "school days for each module phase",
        default=4,
        help_text="The fewest teaching days a generated timetable gives a module's study "
        "phase, and its apply phase.",
    )
    trn_asked = models.BooleanField(
        "asks for a TRN",
        default=True,
        help_text="Whether applicants are asked for their teacher reference number: every NPQ "
        "does; a programme for teaching assistants, who usually have none, does not.",
    )
    participant_rules = models.TextField(
        "who may take part", blank=True, help_text="e.g. three lead teachers per school"
    )
    participation = models.CharField(
        "who takes part",
        max_length=20,
        choices=Participation,
        default=Participation.INDIVIDUAL,
        help_text="Individual teachers apply (as for an NPQ), or a school signs up a team in "
        "the programme's role slots, and its capacity is counted in schools.",
    )
    team_leads_min = models.PositiveSmallIntegerField(
        "fewest lead participants",
        default=1,
        help_text="For a school team: the fewest lead participants a school may name.",
    )
    completion_sessions = models.PositiveSmallIntegerField(
        "sessions to complete",
        null=True,
        blank=True,
        help_text="For a school team: a school completes when a lead participant attended at "
        "least this many of the Work Group's sessions. Blank: staff judge it.",
    )
    completion_needs_action_plan = models.BooleanField(
        "completion needs the action plan",
        default=False,
        help_text="For a school team: a school completes only once its action plan is in.",
    )
    commitment = models.TextField(
        "what a school commits to",
        blank=True,
        help_text="For a school team: shown to the headteacher who approves the sign-up "
        "(release days, sessions, the tasks between them).",
    )
    priority = models.CharField(
        "when oversubscribed",
        max_length=20,
        choices=Priority,
        default=Priority.ARRIVAL,
        help_text="For a school team: the order staff see eligible schools in when there are "
        "more than places.",
    )
    funding_summary = models.TextField(blank=True)
    default_fee = models.PositiveIntegerField(
        "default fee (£)",
        default=0,
        help_text="In whole pounds: what a place costs when it is not funded, unless a cohort "
        "sets its own. 0 for a free programme.",
    )
    content_source = models.CharField(
        max_length=20, choices=ContentSource, default=ContentSource.SOURCE_PAGES
    )
    review_note = models.TextField(
        blank=True, help_text="For staff: what in this entry is the hub's own and needs checking."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.OFFERED)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_reason = models.CharField(max_length=500, blank=True)
    edited_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When staff last changed it (the catalogue loader "
        "then leaves it alone unless asked to overwrite).",
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["family", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["course_identifier"],
                condition=~Q(course_identifier=""),
                name="programme_course_identifier_unique",
                violation_error_message="Another programme already has this DfE course identifier.",
            ),
            models.CheckConstraint(
                condition=Q(status="offered", retired_at__isnull=True)
                | Q(status="retired", retired_at__isnull=False),
                name="programme_retired_has_time",
            ),
            models.CheckConstraint(
                condition=Q(module_phase_days__gte=1), name="programme_module_phase_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})" if self.short_name else self.name

    def get_absolute_url(self) -> str:
        return reverse("programmes:programme-detail", kwargs={"slug": self.slug})

    @property
    def for_school_teams(self) -> bool:
        return self.participation == self.Participation.SCHOOL_TEAM

    @property
    def assessment_criteria_list(self) -> list[str]:
        return [line.strip() for line in self.assessment_criteria.splitlines() if line.strip()]

    @property
    def phase_labels(self) -> list[str]:
        return [
            self.PHASE_LABELS[phase]
            for phase, field in self.PHASE_FIELDS.items()
            if getattr(self, field)
        ]


class Course(models.Model):
    """One part of a programme in its order: a conference, a course or assessment preparation."""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", "Conference"
        COURSE = "course", "Course"
        ASSESSMENT_PREPARATION = "assessment_preparation", "Assessment preparation"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="courses")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=30, choices=Kind, default=Kind.COURSE)
    number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Course 1, 2, …; blank for a conference or package."
    )
    title = models.CharField(max_length=200)
    seed_key = models.CharField(
        max_length=40, blank=True, editable=False, help_text="Which seeded course this is."
    )
    delivery = models.CharField(max_length=300, blank=True, help_text="How it is delivered.")
    aims = models.TextField(blank=True)
    key_content = models.TextField(blank=True, help_text="One point a line.")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Course {self.number}: {self.title}" if self.number else self.title

    def get_absolute_url(self) -> str:
        return self.programme.get_absolute_url() + f"#course-{self.pk}"

    @property
    def key_content_points(self) -> list[str]:
        return [line.strip() for line in self.key_content.splitlines() if line.strip()]

    @property
    def modules_are_study_and_apply(self) -> bool:
        """True when every module is studied then applied (the outline's heading says so)."""
        modules = self.modules.all()
        return bool(modules) and all(
            module.format == Module.Format.STUDY_AND_APPLY for module in modules
        )


class Module(models.Model):
    """An asynchronous part of a course: studied, then applied in school (or a webinar)."""

    class Format(models.TextChoices):
        STUDY_AND_APPLY = "study_and_apply", "Module: study, then apply in school"
        WEBINAR = "webinar", "Webinar"
        WORKSHOP = "workshop", "Workshop"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    seed_key = models.CharField(max_length=40, blank=True, editable=False)
    format = models.CharField(max_length=20, choices=Format, default=Format.STUDY_AND_APPLY)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.course.get_absolute_url()


class Clinic(models.Model):
    """A live (synchronous) session belonging to a course, scheduled per cohort."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="clinics")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    seed_key = models.CharField(max_length=40, blank=True, editable=False)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.course.get_absolute_url()


class RoleSlot(models.Model):
    """A role a school names a person for when it signs up a team (a Work Group's slot)."""

    class Kind(models.TextChoices):
        LEAD = "lead", "Lead participant"
        SUPPORTING = "supporting", "Supporting role"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="role_slots")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=100, help_text="e.g. Year 1 lead teacher")
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.LEAD)
    required = models.BooleanField(
        default=False, help_text="The school must name someone for it to sign up."
    )
    people = models.PositiveSmallIntegerField(
        "people at most",
        default=1,
        help_text="How many people the school may name in this role (wider staff: several).",
    )
    hint = models.CharField(max_length=300, blank=True, help_text="Shown under the question.")

    class Meta:
        ordering = ["programme", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(people__gte=1), name="role_slot_people_positive")
        ]

    def __str__(self) -> str:
        return self.label


class Prerequisite(models.Model):
    """A condition on a school's Work Group history for it to sign up for a programme.

    A programme's conditions must all be met, except that one marked "or" is an alternative to
    the one before it (met when either is).
    """

    class Kind(models.TextChoices):
        COMPLETED_ANY = "completed_any", "Has completed a year of any of"
        TAKEN_PART_ANY = "taken_part_any", "Takes part now, or has taken part, in any of"
        NEVER_TAKEN_PART = "never_taken_part", "Has never taken part in"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="prerequisite_rules"
    )
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind)
    programmes = models.ManyToManyField(Programme, related_name="+")
    or_previous = models.BooleanField(
        "or the condition before",
        default=False,
        help_text="Met when this or the condition before it is met.",
    )
    junior_schools_exempt = models.BooleanField(
        default=False, help_text="Junior schools need not meet it."
    )

    class Meta:
        ordering = ["programme", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.get_kind_display()}"


class ProgrammeGrant(models.Model):
    """What the hub pays each school that takes part in a programme in a school year (e.g.
    £1,000 towards cover for a Development school)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="grants")
    academic_year = models.PositiveSmallIntegerField(help_text="2025 means 2025/26.")
    amount = models.PositiveIntegerField("amount (£)", help_text="In whole pounds, per school.")
    purpose = models.CharField(max_length=200, default="Towards the cost of cover")

    class Meta:
        ordering = ["programme", "-academic_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "academic_year"], name="one_grant_per_programme_year"
            )
        ]

    def __str__(self) -> str:
        return f"£{self.amount} for {self.programme_id} in {self.academic_year}"
