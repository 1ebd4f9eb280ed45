"""django-q2 entry points: take an id, call a service."""

from audit.services import Actor
from reports.housekeeping import old_records_purge
from reports.jobs import job_run
from reports.kept_exports import EXPORT_KEEP_HOURS, exports_purge
from reports.schedules import PURGE_JOBS_DAYS, PURGE_JOBS_SCHEDULE


def run_report_job(job_id: str) -> None:
    job_run(job_id)


def purge_jobs_task(days: int = PURGE_JOBS_DAYS) -> str:
    purged = old_records_purge(actor=Actor.for_schedule(PURGE_JOBS_SCHEDULE), older_than_days=days)
    return (
        f"purged {purged.jobs} finished report jobs older than {days} days, "
        f"{purged.eta_changes} ETA changes and {purged.closed_orders} closed orders past BUZ_ETA_HISTORY_DAYS"
    )


def purge_exports_task() -> str:
    return f"purged {exports_purge()} kept exports unused for {EXPORT_KEEP_HOURS} hours"
