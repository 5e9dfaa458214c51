"""Pieces of the migrations that moved models between apps (issue 18 split participants).

Landed migrations import this module: change it only in ways that keep them right.

A moved model keeps its table and rows. What still names its old app is relabelled, both ways:
its content type (so its permissions, the groups holding them and the admin's log follow), the
keys that name one of its rows as text ("participants.application:12" in the email log, the
reminders done and the funding decisions), and the names of tasks waiting in the outbox.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

# Where a row is named as text, "app_label.model:pk": (app, model, field).
EMAIL_LOG_KEY = ("npq_portal", "EmailDelivery", "about")


def move_content_types(*, old_app: str, new_app: str, models: list[str]) -> migrations.RunPython:
    """Relabel the content types of `models` (lower-case names) from `old_app` to `new_app`."""

    def relabel(apps, source: str, target: str) -> None:
        content_types = apps.get_model("contenttypes", "ContentType")
        for model in models:
            old = content_types.objects.filter(app_label=source, model=model).first()
            if old is None:
                continue  # a new database: post_migrate makes it when migrate ends
            # One made meanwhile under the new label holds only default permissions, which
            # the roles re-attach after every migrate: the old one, with its history, wins.
            content_types.objects.filter(app_label=target, model=model).delete()
            old.app_label = target
            old.save(update_fields=["app_label"])

    return migrations.RunPython(
        lambda apps, schema_editor: relabel(apps, old_app, new_app),
        lambda apps, schema_editor: relabel(apps, new_app, old_app),
    )


def move_keys(*, keys: list[tuple[str, str, str]], labels: dict[str, str]) -> migrations.RunPython:
    """Rewrite the text keys in `keys` ((app, model, field) each) that name a row of a moved
    model: `labels` maps each old label to its new one ("participants.application":
    "applications.application")."""

    def rewrite(apps, moves: dict[str, str]) -> None:
        for app, model_name, field in keys:
            model = apps.get_model(app, model_name)
            for old_label, new_label in moves.items():
                old, new = f"{old_label}:", f"{new_label}:"
                model.objects.filter(**{f"{field}__startswith": old}).update(
                    **{field: Concat(Value(new), Substr(field, len(old) + 1))}
                )

    return migrations.RunPython(
        lambda apps, schema_editor: rewrite(apps, labels),
        lambda apps, schema_editor: rewrite(apps, {new: old for old, new in labels.items()}),
    )


def rename_outbox_tasks(names: dict[str, str]) -> migrations.RunPython:
    """Rename the tasks waiting in the outbox (old dotted name: new), so the sweep hands on
    what was queued before the move under the name a worker now knows."""

    def rename(apps, moves: dict[str, str]) -> None:
        outbox = apps.get_model("npq_portal", "OutboxTask")
        for old, new in moves.items():
            outbox.objects.filter(task_name=old).update(task_name=new)

    return migrations.RunPython(
        lambda apps, schema_editor: rename(apps, names),
        lambda apps, schema_editor: rename(apps, {new: old for old, new in names.items()}),
    )
