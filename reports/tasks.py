"""Background work for exports: thin tasks that load by id and call a service."""

from celery import shared_task

from cohorts.models import Cohort

from .milestone_days import milestones_bring_up_to_date
from .models import Export


@shared_task
def export_build_task(export_id: int) -> None:
    """Make the file of an export someone asked for; safe to run twice."""
    from .services import export_build  # services.py imports this module

    export = Export.objects.select_related("requested_by").filter(pk=export_id).first()
    if export is None:  # deleted before a worker picked the task up
        return
    export_build(export=export)


@shared_task
def exports_forget_old_task() -> None:
    """Delete exports made more than a week ago, with their files; safe to run twice."""
    from .services import exports_forget_old

    exports_forget_old()


@shared_task
def milestones_bring_up_to_date_task() -> None:
    """Work out again the kept milestone days of every cohort whose evidence changed since,
    so the milestone and declaration pages seldom wait for it; safe to run twice."""
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())
