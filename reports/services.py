"""Exports made in the background: asking for one, making its file, forgetting old ones."""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from npq_portal.models import User
from npq_portal.outbox import outbox_enqueue

from .datasets import DATASETS, ExportContents, columns_for, export_contents
from .models import Export, ExportEvent, ExportQuerySet
from .tasks import export_build_task
from .writers import csv_chunks, xlsx_write

logger = logging.getLogger(__name__)

EXPORT_DEFAULTS = {
    "inline_max_rows": 2000,
    "progress_every": 500,
    "keep_days": 7,
    "stalled_after_minutes": 15,
}
STALLED_ERROR = (
    "The file stopped being made part of the way through and will not be finished. "
    "Export the list again to start afresh."
)


def export_settings() -> dict:
    """settings.EXPORTS over the defaults (read when asked, never at import)."""
    return {**EXPORT_DEFAULTS, **getattr(settings, "EXPORTS", {})}


def _stalled_since() -> datetime.datetime:
    """A running export with no progress since this time has lost its worker."""
    minutes = export_settings()["stalled_after_minutes"]
    return timezone.now() - datetime.timedelta(minutes=minutes)


def exports_fail_stalled(*, exports: ExportQuerySet) -> int:
    """Mark failed those of these exports whose worker died part of the way through (no
    progress for EXPORTS["stalled_after_minutes"] minutes), so their page tells the person
    to start again instead of waiting for ever. Returns how many."""
    now = timezone.now()
    failed = exports.stalled(since=_stalled_since()).update(
        status=Export.Status.FAILED, error=STALLED_ERROR, finished_at=now, updated_at=now
    )
    if failed:
        logger.warning("Marked %s stalled exports failed", failed)
    return failed


@transaction.atomic
def export_start(
    *, user: User, kind: str, file_format: str, filters: Mapping[str, str], rows_total: int = 0
) -> Export:
    """Have a large export prepared in the background; its page shows how far it has got.

    Asking again for the same export while the first is still being prepared returns the
    first, so a double click makes one file; one whose worker died is marked failed instead,
    and a new one started.
    """
    dataset = DATASETS[kind]
    filters = dict(filters)
    same = Export.objects.for_user(user).filter(kind=kind, file_format=file_format)
    exports_fail_stalled(exports=same)
    for waiting in same.unfinished():
        if waiting.filters == filters:
            return waiting
    export = Export.objects.create(
        requested_by=user,
        kind=kind,
        file_format=file_format,
        filters=filters,
        rows_total=rows_total,
        file_name=dataset.file_name(filters=filters, file_format=file_format),
    )
    logger.info("Export %s (%s) asked for by user %s", export.pk, kind, user.pk)
    outbox_enqueue(export_build_task, export.pk)
    return export


def export_record(
    *,
    user: User,
    kind: str,
    file_format: str,
    filters: Mapping[str, str],
    rows: int,
    export: Export | None = None,
) -> ExportEvent:
    """Keep, for the audit log, that this person took a list away as a file, filtered so.

    The record outlives the export and its file (exports_forget_old leaves it).
    """
    return ExportEvent.objects.create(
        by=user,
        kind=kind,
        file_format=file_format,
        filters=dict(filters),
        rows=rows,
        export=export,
    )


def export_build(*, export: Export) -> None:
    """Make an export's file with the rows and columns its owner may see now, saving progress
    every few hundred rows. One already made, or being made by another worker, is left alone,
    so running it twice makes one file; one whose worker died (stalled) is taken over."""
    now = timezone.now()
    this_export = Export.objects.filter(pk=export.pk)
    claimed = (
        this_export.filter(status=Export.Status.WAITING)
        | this_export.stalled(since=_stalled_since())
    ).update(status=Export.Status.RUNNING, started_at=now, updated_at=now, rows_done=0, error="")
    if not claimed:
        logger.info("Export %s is already made or being made", export.pk)
        return
    export.refresh_from_db()
    # Every write below is this run's only while the export is still this run's: one declared
    # stalled (or taken over) meanwhile must stay as it was left, not be overwritten.
    this_run = this_export.filter(status=Export.Status.RUNNING, started_at=export.started_at)
    try:
        contents = export_contents(
            user=export.requested_by, kind=export.kind, filters=export.filters
        )
        this_run.update(rows_total=contents.total, updated_at=timezone.now())
        written = 0

        def counted(rows: Iterable[list]) -> Iterator[list]:
            nonlocal written
            every = export_settings()["progress_every"]
            for row in rows:
                yield row
                written += 1
                if written % every == 0:  # in batches: one write per `every` rows
                    this_run.update(rows_done=written, updated_at=timezone.now())

        with tempfile.TemporaryFile() as out:
            _write(export=export, contents=contents, rows=counted(contents.values()), out=out)
            out.seek(0)
            export.file.save(export.file_name, File(out), save=False)
        now = timezone.now()
        finished = this_run.update(
            status=Export.Status.DONE,
            file=export.file.name,
            rows_done=written,
            rows_total=max(written, contents.total),
            columns=[column.key for column in contents.columns],
            finished_at=now,
            updated_at=now,
        )
        if not finished:  # declared stalled meanwhile: nobody will download this file
            export.file.delete(save=False)
            logger.warning("Export %s was no longer this run's; its file is deleted", export.pk)
            return
        # Recorded once the file exists: an export that fails was never taken away.
        export_record(
            user=export.requested_by,
            kind=export.kind,
            file_format=export.file_format,
            filters=export.filters,
            rows=written,
            export=export,
        )
        logger.info("Export %s made: %s rows", export.pk, written)
    except (PermissionDenied, ObjectDoesNotExist) as error:
        _export_fail(export, f"You can no longer export this: {error}")
    except Exception:
        logger.exception("Export %s failed", export.pk)
        _export_fail(
            export,
            "Something went wrong making the file. Try again; if it happens again, tell the "
            "hub's administrator.",
        )


def export_download_refused(*, user, export: Export) -> str:
    """Why this person may not take the export's file away now, or "" if they may. The file
    holds what they could see when it was made: whoever has lost the right to export the list,
    or to any of its columns, since then must export it again."""
    dataset = DATASETS[export.kind]
    try:
        allowed = columns_for(user=user, dataset=dataset, filters=export.filters)
    except PermissionDenied:
        return (
            f"You may no longer export {dataset.title.lower()}, so this file is not yours to take."
        )
    if not set(export.columns) <= {column.key for column in allowed}:
        return (
            f"What you may see in {dataset.title.lower()} has changed since this file was made. "
            "Export the list again for a file with what you may see now."
        )
    return ""


def _write(
    *, export: Export, contents: ExportContents, rows: Iterable[list], out: IO[bytes]
) -> None:
    if export.file_format == Export.Format.XLSX:
        xlsx_write(headers=contents.headers, rows=rows, out=out, title=contents.dataset.title)
        return
    for chunk in csv_chunks(headers=contents.headers, rows=rows):
        out.write(chunk.encode("utf-8"))


def _export_fail(export: Export, message: str) -> None:
    if export.file:
        export.file.delete(save=False)
    now = timezone.now()
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.FAILED, file="", error=message, finished_at=now, updated_at=now
    )


def exports_forget_old() -> int:
    """Delete exports, and their files, made more than EXPORTS["keep_days"] days ago: they
    hold personal data nobody needs to keep. Returns how many were deleted."""
    cutoff = timezone.now() - datetime.timedelta(days=export_settings()["keep_days"])
    old = Export.objects.filter(created_at__lt=cutoff)
    deleted = 0
    for export in old.iterator(chunk_size=200):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        deleted += 1
    if deleted:
        logger.info("Forgot %s old exports", deleted)
    return deleted
