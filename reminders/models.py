"""What the reminders remember: which rule is done for what, and who asked for none."""

from django.db import models


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
