"""django-q2 entry points: take an id, call a service."""

from audit.services import Actor
from history.recording import history_purge
from reports.jobs import job_run, jobs_purge
from reports.kept_exports import EXPORT_KEEP_HOURS, exports_purge
from reports.schedules import PURGE_JOBS_DAYS, PURGE_JOBS_SCHEDULE


def run_report_job(job_id: str) -> None:
    job_run(job_id)


def purge_jobs_task(days: int = PURGE_JOBS_DAYS) -> str:
    actor = Actor.for_schedule(PURGE_JOBS_SCHEDULE)
    count = jobs_purge(actor=actor, older_than_days=days)
    events, orders = history_purge(actor=actor)
    return (
        f"purged {count} finished report jobs older than {days} days, "
        f"{events} ETA changes and {orders} closed orders past BUZ_ETA_HISTORY_DAYS"
    )


def purge_exports_task() -> str:
    return f"purged {exports_purge()} kept exports unused for {EXPORT_KEEP_HOURS} hours"
