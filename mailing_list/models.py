"""The mailing list: people who asked for news of programmes, with their consent."""

from django.db import models

from npq_portal.models import TimeStampedModel
from schools.models import School


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
