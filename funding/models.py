"""Recorded funding decisions, with the rule set, facts and reason behind each, and overrides."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from npq_portal.models import TimeStampedModel


class FundingDecision(TimeStampedModel):
    """A funding outcome worked out for someone, with the rule set, facts and reason behind it.

    Holds personal data: the facts about a person's job and workplace.
    """

    subject = models.CharField(
        max_length=120, help_text="What it decides, e.g. applications.application:12."
    )
    rules = models.CharField("rule set", max_length=20)
    facts = models.JSONField(help_text="The facts as evaluated, list memberships included.")
    list_versions = models.JSONField(
        default=dict, blank=True, help_text="The eligibility list versions used, by kind."
    )
    status = models.CharField(max_length=60)
    funded = models.BooleanField()
    provisional = models.BooleanField(
        default=False, help_text="To be confirmed: an eligibility list it needs was not in."
    )
    waiting_on = models.JSONField(
        default=list, blank=True, help_text="The eligibility lists (kinds) it waits for."
    )
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
        indexes = [
            models.Index(fields=["subject"]),
            models.Index(
                fields=["provisional"],
                condition=Q(provisional=True),
                name="funding_decision_provisional",
            ),
        ]
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
    def to_be_confirmed(self) -> bool:
        """Waiting for an eligibility list, and staff have not decided it themselves."""
        return self.provisional and not self.override_status

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


class FundingRedecision(models.Model):
    """Each time a provisional decision was worked out again because a list it waited on came
    in: what it said before, and when and why it changed.

    Holds personal data: the facts about a person's job and workplace, as they were.
    """

    decision = models.ForeignKey(
        FundingDecision, on_delete=models.CASCADE, related_name="redecisions"
    )
    from_status = models.CharField(max_length=60)
    from_reason = models.TextField()
    from_facts = models.JSONField()
    from_list_versions = models.JSONField(default=dict, blank=True)
    from_waiting_on = models.JSONField(default=list, blank=True)
    to_status = models.CharField(max_length=60)
    note = models.CharField(max_length=255, help_text="Why, e.g. which list was uploaded.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.from_status} to {self.to_status}"
