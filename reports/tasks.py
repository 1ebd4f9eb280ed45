"""django-q2 entry points: take an id, call a service."""

from reports.jobs import job_run


def run_report_job(job_id: str) -> None:
    job_run(job_id)
