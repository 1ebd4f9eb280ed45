"""django-q2 entry points: take an id, call a service."""

from reports.jobs import job_run, jobs_purge
from reports.schedules import PURGE_JOBS_DAYS


def run_report_job(job_id: str) -> None:
    job_run(job_id)


def purge_jobs_task(days: int = PURGE_JOBS_DAYS) -> str:
    return f"purged {jobs_purge(older_than_days=days)} finished report jobs older than {days} days"
