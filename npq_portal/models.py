from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models
from django.utils import timezone

from .access import user_access_annotation, user_access_read
from .addresses import address
from .prepared import fixed_objects
from .roles import Role


class TimeStampedModel(models.Model):
    """A model that records when each row was created and last changed."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# The annotation the person's access is read into with them.
ACCESS_READ = "_npq_access_read"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get(self, *args, **kwargs) -> "User":
        """As a queryset's get(); one person by id (`pk=`, a whole number), which every
        signed-in request asks for (ModelBackend.get_user), is read through SQL composed once
        a connection and prepared (npq_portal.prepared.fixed_objects): about 0.35 ms less a
        request than composing it each time."""
        if not args and len(kwargs) == 1 and type(kwargs.get("pk")) is int:
            found = fixed_objects(_user_by_id, kwargs["pk"], using=self.db)
            if not found:
                raise self.model.DoesNotExist(
                    f"{self.model._meta.object_name} matching query does not exist."
                )
            person = found[0]
            user_access_read(person, person.__dict__.pop(ACCESS_READ))
            return person
        return super().get(*args, **kwargs)

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


def _user_by_id(pk: int) -> models.QuerySet:
    # With their roles, permissions and authenticator (npq_portal/access.py), which every
    # signed-in request asks for next.
    return (
        User._base_manager.filter(pk=pk)
        .order_by()
        .annotate(**{ACCESS_READ: user_access_annotation(pk)})
    )


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in with their email address. Holds personal data: name and email."""

    email = models.EmailField("email address", max_length=254, unique=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    is_staff = models.BooleanField(
        "Django admin access",
        default=False,
        help_text="Can sign in to the Django admin site (hub administrators and leads).",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When their personal data was erased; the account can no longer sign in.",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        indexes = [
            # People, in this order, a page at a time.
            models.Index(fields=["last_name", "first_name", "email"], name="user_name_order_idx")
        ]
        permissions = [
            ("access_staff_area", "Can use the hub staff pages"),
            ("manage_roles", "Can give people roles and take them away"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs) -> None:
        # One account per address however it is typed: stored lower-case, unique.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return address("staff:person-detail", kwargs={"pk": self.pk})

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class RoleChange(models.Model):
    """A record that someone was given a role or had it taken away, by whom and why."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_changes"
    )
    role = models.CharField(max_length=40, choices=Role)
    granted = models.BooleanField(help_text="True when given, False when taken away.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        verb = "given" if self.granted else "removed"
        return f"{self.role} {verb} for user {self.user_id}"


class EmailDeliveryQuerySet(models.QuerySet):
    def kinds(self) -> list[str]:
        """Every kind of email in the whole log, in order (the log's filter). PostgreSQL reads
        them from the kind index a kind at a time, a look-up each (a "loose index scan"),
        rather than every email ever logged."""
        if connections[self.db].vendor != "postgresql":
            emails = self.model._default_manager.using(self.db)
            return list(emails.order_by("kind").values_list("kind", flat=True).distinct())
        table = self.model._meta.db_table
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"""WITH RECURSIVE kinds (kind) AS (
                    (SELECT kind FROM "{table}" ORDER BY kind LIMIT 1)
                    UNION ALL
                    SELECT (SELECT later.kind FROM "{table}" later
                            WHERE later.kind > kinds.kind ORDER BY later.kind LIMIT 1)
                    FROM kinds WHERE kinds.kind IS NOT NULL
                )
                SELECT kind FROM kinds WHERE kind IS NOT NULL"""
            )
            return [kind for (kind,) in cursor.fetchall()]


class EmailDelivery(TimeStampedModel):
    """One email the portal sends, logged once per occasion. Holds personal data: recipient."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.EmailField(max_length=254)
    kind = models.CharField(max_length=80, help_text="Which email, e.g. welcome.")
    about = models.CharField(
        max_length=120,
        blank=True,
        help_text="What the email is about, as app_label.model:pk; blank for account email.",
    )
    occasion = models.CharField(
        max_length=120, blank=True, help_text="Which sending of it, e.g. chase-1."
    )
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(
        blank=True, help_text="The text as sent, for staff to read, with personal links removed."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "email deliveries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "about", "occasion"],
                name="email_delivery_once_per_occasion",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="email_delivery_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # The email log, newest first: all of it, and by kind.
            models.Index(fields=["created_at", "id"], name="email_delivery_log_idx"),
            models.Index(fields=["kind", "created_at", "id"], name="email_delivery_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.get_status_display()})"


class OutboxTask(models.Model):
    """A background task (mostly an email) recorded in the transaction of the change that
    asked for it, and kept until a worker has run it: a broker outage delays it, never loses it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        DONE = "done", "Done"
        ABANDONED = "abandoned", "Given up"

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last handed to the broker."
    )
    dispatches = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweep reads only what is still waiting, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.args} ({self.get_status_display()})"

    @property
    def celery_task_id(self) -> str:
        # A fixed id: every dispatch of this entry is the same task to Celery, and a worker
        # that finishes it can tell which entry is done.
        return f"outbox-{self.pk}"


class PersonalDataRequest(models.Model):
    """A subject access export, an erasure or a retention run: who, for which person, when, why.

    Holds no personal data: the person is kept as an id and what changed as counts, so the
    record outlives the erasure it describes.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", "Subject access export"
        ERASURE = "erasure", "Erasure"
        RETENTION = "retention", "Retention run"

    kind = models.CharField(max_length=20, choices=Kind)
    person_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Whose data; blank for a retention run."
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it; blank for the scheduled retention run.",
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(
        default=dict, blank=True, help_text="How many records were exported or changed, by kind."
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["person_id", "at"], name="personal_data_request_idx")]
        permissions = [
            ("export_personal_data", "Can download everything held about a person"),
            ("erase_personal_data", "Can erase a person's personal data"),
        ]

    def __str__(self) -> str:
        whose = f"person {self.person_id}" if self.person_id else "the retention rules"
        return f"{self.get_kind_display()} for {whose} at {self.at:%Y-%m-%d %H:%M}"
