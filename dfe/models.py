"""What the portal keeps of its exchange with DfE's Lead Provider API v3.

The connection (one per lead provider the hub delivers for) and its delivery partner per DfE
cohort; the sync log (every call, every pull); DfE's own records as last pulled (applications,
participants' retired ids, declarations, statements); and the portal's changes waiting to be
sent (`Outgoing`, each sent by an outbox task and kept with DfE's answer).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from django.db import models
from django.db.models import Q

from cohorts.academic_years import academic_year_label
from npq_portal.addresses import address
from npq_portal.models import TimeStampedModel
from npq_portal.words import word

SANDBOX_URL = "https://sandbox.register-npq.education.gov.uk"
PRODUCTION_URL = "https://register-npq.education.gov.uk"
# A connection at this address talks to the demo's fake DfE (dfe/fake.py), never to DfE.
FAKE_URL = "https://dfe-fake.localhost"


class ConnectionQuerySet(models.QuerySet):
    def switched_on(self) -> ConnectionQuerySet:
        """Connections with a token that staff have switched on."""
        return self.filter(enabled=True).exclude(token_encrypted="", token_env_var="")

    def with_last_pull(self) -> ConnectionQuerySet:
        """Each with `last_pull_at`: when its last successful pull from DfE finished."""
        # The newest of its successful pulls, through their index: not the greatest of every
        # pull it ever made, which grows with the years.
        last = (
            Sync.objects.filter(connection=models.OuterRef("pk"), succeeded=True)
            .exclude(finished_at=None)
            .order_by("-finished_at")
            .values("finished_at")[:1]
        )
        return self.annotate(last_pull_at=models.Subquery(last))


class Connection(TimeStampedModel):
    """How the portal reaches DfE for one lead provider. Holds a secret: its token, encrypted."""

    name = models.CharField(
        "lead provider", max_length=200, unique=True, help_text="e.g. Ambition Institute."
    )
    base_url = models.URLField(
        "API address",
        default=SANDBOX_URL,
        help_text="DfE's sandbox while you try it out; production once DfE gives you its token.",
    )
    token_encrypted = models.TextField(blank=True, editable=False)
    token_env_var = models.CharField(
        "token from the environment",
        max_length=100,
        blank=True,
        help_text="The name of an environment variable holding the token, instead of storing it.",
    )
    enabled = models.BooleanField(
        "switched on",
        default=False,
        help_text="Nothing is pulled from or sent to DfE until the connection is switched on.",
    )
    cohort_years = models.JSONField(
        "DfE cohorts",
        default=list,
        blank=True,
        help_text="The DfE cohorts (start years, e.g. 2025) this lead provider funds here.",
    )
    programmes = models.ManyToManyField(
        "programmes.Programme",
        blank=True,
        related_name="dfe_connections",
        help_text="The NPQs (DfE courses) delivered for this lead provider.",
    )
    tested_at = models.DateTimeField(null=True, blank=True)
    test_message = models.CharField(max_length=500, blank=True)
    test_ok = models.BooleanField(null=True)
    syncing_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="A pull is running until then (or until it ends): one pull at a time.",
    )

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_dfe_connection", "Can set up the connection to DfE"),
            ("exchange_with_dfe", "Can reconcile with DfE and send DfE decisions and claims"),
        ]

    def __str__(self) -> str:
        return f"DfE connection for {self.name}"

    def get_absolute_url(self) -> str:
        return address("dfe:connection", args=[self.pk])

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted or self.token_env_var)

    @property
    def environment(self) -> str:
        """Sandbox or production, in words."""
        if self.base_url.rstrip("/").removesuffix("/api/v3") == PRODUCTION_URL:
            return "Production"
        if "sandbox" in self.base_url:
            return "Sandbox"
        if self.base_url.rstrip("/") == FAKE_URL:
            return "Demo (a fake DfE)"
        return "Other"


class DeliveryPartnerLink(models.Model):
    """The DfE delivery partner that stands for this hub in one DfE cohort of a connection."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="delivery_partners"
    )
    cohort_year = models.PositiveSmallIntegerField(help_text="DfE's cohort: 2025 means 2025/26.")
    delivery_partner_id = models.UUIDField("DfE delivery partner id")
    name = models.CharField(max_length=300, help_text="As DfE names it.")

    class Meta:
        ordering = ["connection", "cohort_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "cohort_year"], name="one_delivery_partner_per_dfe_cohort"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} in DfE cohort {self.cohort_year}"


class LoggedQuerySet(models.QuerySet):
    def with_connection_name(self) -> LoggedQuerySet:
        """Each with `connection_name` (None for a call made without a connection): what the
        sync log shows of it, rather than each row's connection read whole."""
        return self.annotate(connection_name=models.F("connection__name"))


class Call(models.Model):
    """One request the portal made to DfE: the sync log. No token, no body, only DfE's ids."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="calls", null=True, blank=True
    )
    at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=6)
    path = models.CharField(max_length=300, help_text="Its only ids are DfE's.")
    query = models.CharField(max_length=300, blank=True, help_text="Filters and page.")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    failure = models.CharField(
        max_length=20, blank=True, help_text="timeout or unreachable, when DfE did not answer."
    )
    duration_ms = models.PositiveIntegerField()
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True, help_text="DfE's error, in words.")
    ids = models.CharField(
        "DfE ids",
        max_length=300,
        blank=True,
        help_text="DfE's ids the path does not show: the participant sent, the record made.",
    )

    objects = LoggedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # The sync log's filters, newest first, without reading every call ever made.
            models.Index(fields=["connection", "-at", "-id"], name="dfe_call_connection_newest"),
            models.Index(
                fields=["-at", "-id"],
                condition=Q(status__isnull=True) | Q(status__gte=400),
                name="dfe_call_failures_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status or self.failure}"

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def result(self) -> str:
        """DfE's status, or why there was none, in words: "200 OK", "Timed out"."""
        if self.status is None:
            return word("dfe_call_result", self.failure) or "No answer"
        return word("dfe_call_result", str(self.status))

    @property
    def query_in_words(self) -> str:
        """The filters and page asked for: "changed since 2026-12-01T09:00:00Z, page 2"."""
        parts = []
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            label = word("dfe_query_parameter", name)
            parts.append(f"{label} {value.replace('_', ' ')}" if value else label)
        return ", ".join(parts)


class Sync(models.Model):
    """One pull of one of DfE's lists, from when it started to how it ended."""

    class Kind(models.TextChoices):
        APPLICATIONS = "applications", "Applications"
        PARTICIPANTS = "participants", "Participants"
        DECLARATIONS = "declarations", "Declarations"
        STATEMENTS = "statements", "Statements"
        DELIVERY_PARTNERS = "delivery_partners", "Delivery partners"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="syncs")
    kind = models.CharField(max_length=20, choices=Kind)
    full = models.BooleanField(default=False, help_text="Everything, not only what changed.")
    updated_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    records = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = LoggedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["connection", "kind", "-started_at"]),
            # The sync log's recent pulls, newest first, and the failed ones.
            models.Index(fields=["-started_at", "-id"], name="dfe_sync_newest"),
            models.Index(
                fields=["-started_at", "-id"],
                condition=Q(succeeded=False),
                name="dfe_sync_failures_newest",
            ),
            # Each connection's last successful pull (Connection.objects.with_last_pull).
            models.Index(
                fields=["connection", "-finished_at"],
                condition=Q(succeeded=True),
                name="dfe_sync_last_success",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} pulled at {self.started_at:%Y-%m-%d %H:%M}"


class DfeApplication(TimeStampedModel):
    """An application as DfE holds it, from the last pull, and the portal's application it is.

    Holds personal data: the applicant's name, email and TRN as DfE has them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    class Match(models.TextChoices):
        """Why a DfE application is not linked to a portal application (blank when it is)."""

        NONE = "none", "No portal application from this person for this course and cohort"
        AMBIGUOUS = "ambiguous", "More than one portal application could be this one"
        TAKEN = "taken", "Its portal application is linked to another DfE application"
        UNLINKED = "unlinked", "Unlinked by staff"

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="applications"
    )
    dfe_id = models.UUIDField("DfE application id", unique=True)
    participant_id = models.UUIDField("DfE participant id", db_index=True)
    course_identifier = models.CharField(max_length=100)
    cohort_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status)
    reason_for_rejection = models.CharField(max_length=100, blank=True)
    schedule_identifier = models.CharField(max_length=100, blank=True)
    funded_place = models.BooleanField(null=True)
    eligible_for_funding = models.BooleanField(default=False)
    ineligible_for_funding_reason = models.CharField(max_length=100, blank=True)
    teacher_catchment = models.BooleanField(null=True)
    trn = models.CharField("TRN", max_length=20, blank=True)
    email = models.EmailField(blank=True)
    full_name = models.CharField(max_length=300, blank=True)
    school_urn = models.CharField("school URN", max_length=20, blank=True)
    training_status = models.CharField(
        max_length=20, blank=True, help_text="active, deferred or withdrawn, from the participant."
    )
    dfe_updated_at = models.DateTimeField()
    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dfe",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who last linked or unlinked it by hand; empty when the portal matched it.",
    )
    linked_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last linked, or unlinked by hand."
    )
    match_problem = models.CharField(
        max_length=20, choices=Match, blank=True, help_text="Why it is not linked, if it is not."
    )
    candidate_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="Portal applications (ids) staff might link it to: the same TRN or email.",
    )
    acknowledged = models.JSONField(
        default=dict,
        blank=True,
        help_text="Disagreements staff acknowledged, by kind, with both sides' values then: "
        "{kind: {portal, dfe, by, at}}. A change on either side raises it again.",
    )
    personal_data_erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the applicant's personal data was erased here; pulls no longer copy "
        "DfE's name, email and TRN for them.",
    )
    disagreeing = models.BooleanField(
        null=True,
        editable=False,
        help_text="Linked, and the two sides disagree on something staff have not "
        "acknowledged (dfe/reconcile.py `open_disagreements`), as last compared. Empty until "
        "compared again after either side changed (`reconciliation_bring_up_to_date`).",
    )

    class Meta:
        ordering = ["full_name", "pk"]
        indexes = [
            models.Index(fields=["trn"]),
            models.Index(fields=["email"]),
            # The reconciliation page's buckets, a page at a time in this order: the linked
            # and the unlinked apart, as a page of one bucket walks past none of the other.
            models.Index(
                fields=["full_name", "id"],
                condition=Q(application__isnull=False),
                name="dfe_linked_by_name",
            ),
            models.Index(
                fields=["full_name", "id"],
                condition=Q(application__isnull=True),
                name="dfe_unlinked_by_name",
            ),
            # The few with a disagreement staff acknowledged, compared one by one.
            models.Index(
                fields=["id"],
                condition=~Q(acknowledged={}),
                name="dfe_application_acknowledged",
            ),
            # The declarations page: a connection's accepted, linked applications, read with
            # what a declaration needs from them, from the index alone.
            models.Index(
                fields=["connection", "application"],
                include=[
                    "participant_id",
                    "course_identifier",
                    "cohort_year",
                    "teacher_catchment",
                ],
                condition=Q(status="accepted", application__isnull=False),
                name="dfe_accepted_linked",
            ),
            # The matched and the disagreeing, each counted and paged by name on its own.
            models.Index(
                fields=["disagreeing", "full_name", "id"],
                condition=Q(application__isnull=False),
                name="dfe_linked_by_verdict",
            ),
            # The same, for the DfE cohorts listed (the page's default leaves out those whose
            # contracts ended).
            models.Index(
                fields=["cohort_year", "disagreeing", "full_name", "id"],
                condition=Q(application__isnull=False),
                name="dfe_linked_by_year_verdict",
            ),
            # Each DfE cohort's applications, linked or not, from the index alone: the
            # reconciliation page counts those only at DfE in the DfE cohorts it lists, not
            # every unlinked one of every year.
            models.Index(fields=["cohort_year", "application"], name="dfe_by_year_and_link"),
            # The linked ones to compare again: none, most of the time.
            models.Index(
                fields=["id"],
                condition=Q(application__isnull=False, disagreeing__isnull=True),
                name="dfe_linked_to_compare",
            ),
            # The linked ones that may be of another DfE cohort than their portal application
            # (dfe/reconcile.py MAYBE_OTHER_YEAR, the same condition): a few of every year's,
            # for the reconciliation page to ask whether the listed years' portal
            # applications are only in the portal without reading every year's.
            models.Index(
                fields=["application"],
                condition=Q(application__isnull=False)
                & (Q(disagreeing=True) | Q(disagreeing__isnull=True) | ~Q(acknowledged={})),
                name="dfe_linked_maybe_other_year",
            ),
        ]

    def __str__(self) -> str:
        return f"DfE application {self.dfe_id}"

    @property
    def name_shown(self) -> str:
        """DfE's name for the applicant, or why the portal no longer has it."""
        if self.personal_data_erased_at is not None:
            return "Name removed (personal data erased)"
        return self.full_name

    @property
    def cohort_label(self) -> str:
        """DfE's cohort as the portal names academic years: 2025 is "2025/26"."""
        return academic_year_label(self.cohort_year)


class ParticipantIdChange(models.Model):
    """A participant id DfE retired (two records of one person merged), and the one it became."""

    from_participant_id = models.UUIDField(unique=True)
    to_participant_id = models.UUIDField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.from_participant_id} became {self.to_participant_id}"


class Statement(models.Model):
    """One of DfE's financial statements for a cohort: what it pays, and when."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="statements")
    dfe_id = models.UUIDField("DfE statement id", unique=True)
    cohort_year = models.PositiveSmallIntegerField()
    month = models.CharField(max_length=20)
    year = models.CharField(max_length=4)
    cut_off_date = models.DateField(null=True, blank=True)
    payment_date = models.DateField(null=True, blank=True)
    paid = models.BooleanField(default=False)
    dfe_updated_at = models.DateTimeField()

    class Meta:
        ordering = ["cohort_year", "payment_date", "pk"]

    def __str__(self) -> str:
        return f"{self.month} {self.year} statement (cohort {self.cohort_year})"


LIVE_DECLARATION_STATES = ("sending", "submitted", "eligible", "payable", "paid")


class Declaration(TimeStampedModel):
    """A declaration for a place: sent by the portal (or found at DfE), with DfE's id and state."""

    class State(models.TextChoices):
        SENDING = "sending", "Being sent"
        SUBMITTED = "submitted", "Submitted"
        ELIGIBLE = "eligible", "Eligible for payment"
        PAYABLE = "payable", "Payable"
        PAID = "paid", "Paid"
        INELIGIBLE = "ineligible", "Not eligible"
        VOIDED = "voided", "Voided"
        AWAITING_CLAWBACK = "awaiting_clawback", "Awaiting clawback"
        CLAWED_BACK = "clawed_back", "Clawed back"
        REFUSED = "refused", "Refused by DfE"

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="declarations"
    )
    enrolment = models.ForeignKey(
        "participants.Enrolment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dfe_declarations",
    )
    dfe_application = models.ForeignKey(
        DfeApplication,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declarations",
    )
    dfe_id = models.UUIDField("DfE declaration id", unique=True, null=True, blank=True)
    participant_id = models.UUIDField("DfE participant id")
    declaration_type = models.CharField(max_length=20)
    declaration_date = models.DateTimeField()
    course_identifier = models.CharField(max_length=100)
    has_passed = models.BooleanField(null=True)
    delivery_partner_id = models.UUIDField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State, default=State.SENDING)
    statement_id = models.UUIDField(null=True, blank=True)
    clawback_statement_id = models.UUIDField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why DfE refused it, in DfE's words.")
    void_reason = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dfe_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-declaration_date", "-pk"]
        constraints = [
            # The portal's own guard against a duplicate claim (DfE's rule, DFE_API.md §2).
            models.UniqueConstraint(
                fields=["participant_id", "course_identifier", "declaration_type"],
                condition=Q(state__in=LIVE_DECLARATION_STATES),
                name="one_live_dfe_declaration_per_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.declaration_type} declaration ({self.get_state_display()})"


class Outgoing(TimeStampedModel):
    """A change the portal owes DfE (a decision, a place change, an outcome), until it is sent.

    An outbox task sends it; a DfE outage leaves it waiting and the sweep tries again, so
    nothing is lost and nothing is sent twice (a done row is never sent again).
    """

    class Kind(models.TextChoices):
        ACCEPT = "accept", "Accept the application"
        REJECT = "reject", "Reject the application"
        DEFER = "defer", "Defer the participant"
        RESUME = "resume", "Resume the participant"
        WITHDRAW = "withdraw", "Withdraw the participant"
        CHANGE_SCHEDULE = "change_schedule", "Change the schedule"
        OUTCOME = "outcome", "Send the outcome"
        DECLARATION = "declaration", "Send the declaration"
        VOID = "void", "Void the declaration"
        CHANGE_FUNDED_PLACE = "change_funded_place", "Change the funded place"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to be sent"
        SENT = "sent", "Sent"
        REFUSED = "refused", "Refused by DfE"
        NOT_NEEDED = "not_needed", "Not needed"
        FOR_STAFF = "for_staff", "Left to staff"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outgoing")
    kind = models.CharField(max_length=20, choices=Kind)
    dfe_application = models.ForeignKey(
        DfeApplication, on_delete=models.CASCADE, null=True, blank=True, related_name="outgoing"
    )
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, null=True, blank=True, related_name="outgoing"
    )
    body = models.JSONField(default=dict, blank=True, help_text="What is sent: DfE ids and codes.")
    state = models.CharField(max_length=20, choices=State, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(
        blank=True,
        help_text="What staff should know, in words: why nothing was sent, what was sent instead "
        "of the portal's own decision, or what they must do at DfE themselves.",
    )
    enrolment = models.ForeignKey(
        "participants.Enrolment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dfe_outgoing",
        help_text="The place a participant change or outcome is about.",
    )
    claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A worker is sending it until then; after that, another may try again.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            # What was sent lately, newest first, without reading everything ever sent.
            models.Index(
                fields=["-updated_at", "-id"],
                condition=Q(state__in=["sent", "not_needed"]),
                name="dfe_outgoing_done_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"


class ReadyVersion(models.Model):
    """What the ready declarations of a connection are worked out from on DfE's side (its DfE
    applications, the declarations DfE holds, its delivery partners) and the people's names
    are at `version`, moved on by every change to them in the writer's own transaction
    (dfe/ready_counts.py `ready_stale`)."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, primary_key=True, related_name="ready_version"
    )
    version = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"Ready declarations of connection {self.connection_id}: version {self.version}"


class ReadyCounts(models.Model):
    """How many declarations are ready (or blocked) for one list of a connection's cohorts,
    and how many are listed under each cohort, counted on `day` from what `label` names: the
    connection's `ReadyVersion` and each cohort's kept milestone days (dfe/ready_counts.py).
    Derived: counted again when the label no longer matches."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    # The cohorts listed, in their order, with their courses: a digest.
    scope = models.CharField(max_length=64)
    label = models.CharField(max_length=64)
    total = models.PositiveIntegerField()
    ready = models.PositiveIntegerField()
    # [[the cohort's place in the list, how many are listed under it], ...] for the cohorts
    # with any, in the list's order.
    listed = models.JSONField(default=list)
    counted_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "ready counts"
        constraints = [
            models.UniqueConstraint(fields=["connection", "scope"], name="one_count_per_scope")
        ]

    def __str__(self) -> str:
        return f"Ready declarations of connection {self.connection_id}: {self.total}"


class ReadyPage(models.Model):
    """One page of the ready declarations of one list of a connection's cohorts (from `start`
    to `stop` in the list's order), as `ReadyKeys.page` read it, under the label of the kept
    counts it was read with (dfe/ready_counts.py): read again when that label moves on.
    Derived, like the counts."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    # The cohorts listed, in their order, with their courses: a digest (ReadyCounts.scope).
    scope = models.CharField(max_length=64)
    start = models.PositiveIntegerField()
    stop = models.PositiveIntegerField()
    label = models.CharField(max_length=64)
    # [[the place's id, the declaration type, the day its evidence was complete (ISO), why it
    # is blocked (dfe/declarations.py BLOCKED_CODES)], ...] in the list's order.
    keys = models.JSONField(default=list)
    kept_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "scope", "start", "stop"], name="one_ready_page_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"Ready declarations of connection {self.connection_id}: {self.start}-{self.stop}"


class SentCounts(models.Model):
    """How many of a connection's declarations were sent (DfE's states, a void included) and
    how many DfE refused, counted at its `ReadyVersion` `version`, which every change to a
    declaration moves on (dfe/ready_counts.py `sent_counts`). Derived: counted again when the
    version moves."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField()
    sent = models.PositiveIntegerField()
    refused = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "sent counts"

    def __str__(self) -> str:
        return f"Declarations of connection {self.connection_id}: {self.sent} sent"


class ReconciliationCounts(models.Model):
    """The reconciliation page's counts for one choice of DfE cohorts and course (`scope`, a
    digest of it and of what the connections cover), counted on `day` at `version`
    (dfe/reconcile_counts.py). Derived: counted again when either moved on."""

    scope = models.CharField(max_length=64, unique=True)
    version = models.PositiveBigIntegerField()
    day = models.DateField()
    portal_only = models.PositiveIntegerField()
    matched = models.PositiveIntegerField()
    disagreements = models.PositiveIntegerField()
    counted_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "reconciliation counts"

    def __str__(self) -> str:
        return f"Reconciliation counts {self.scope[:8]}: {self.portal_only} only in the portal"
