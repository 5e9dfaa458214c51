from celery import shared_task


@shared_task
def retention_apply_task() -> None:
    """Apply the retention rules (daily, from beat); a rerun finds nothing."""
    from .services import retention_apply

    retention_apply()
