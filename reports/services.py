"""What a customer's page, export or API answer gets: the report now, or a job to wait for.

Every entry point asks here. Upstream is only ever called by the report job
(reports/jobs.py, run by a worker); a web request waits for it within a budget.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from customers.models import Customer
from lib.wakeups import listening
from orders.filters import ReportFilters
from reports.jobs import GENERIC_FAILURE, job_done_channel, job_recover_if_stalled, job_start_or_join
from reports.models import ReportJob
from reports.report import (
    DEFAULT_RETRY_SECONDS,
    CachedRowsGone,
    FetchResult,
    Report,
    ReportUnavailable,
    report_from_results,
    report_peek,
    results_from_json,
)
from reports.selectors import last_recent_failure_for, live_job_for

# A waiting web thread is woken when its job finishes; it also looks this often on its own.
JOB_LOOK_SECONDS = 1.0
STILL_PREPARING = (
    "Your orders are still being prepared: our production system is slow to answer. Please try again in a minute."
)
STILL_PREPARING_RETRY_SECONDS = 5


@dataclass
class PagePlan:
    """Either a report to show now (maybe with a refresh job under way) or a job to wait for."""

    report: Report | None = None
    job: ReportJob | None = None


def _settled(peeks: list[FetchResult]) -> bool:
    """Every account has data to show, or would not call upstream now anyway."""
    return all(p.has_data or not p.needs_live for p in peeks)


def report_page(*, customer: Customer, filters: ReportFilters) -> PagePlan:
    """What the customer page shows, in this order:

    usable data at once (stale data too, while a job refreshes it); else the
    live job to wait for; else a failure of the last minute (so reloading a
    failed page does not hammer upstream); else a new job.
    """
    peeks = report_peek(customer=customer)
    if _settled(peeks):
        report = report_from_results(customer=customer, results=peeks, filters=filters)  # raises when nothing
        refresh = job_start_or_join(customer=customer) if any(p.needs_live for p in peeks) else None
        return PagePlan(report=report, job=refresh)
    live = live_job_for(customer)
    if live is not None:
        live = job_recover_if_stalled(live)
        if live.is_live:
            return PagePlan(job=live)
    failed = last_recent_failure_for(customer)
    if failed is not None:
        raise job_failure(failed)
    return PagePlan(job=job_start_or_join(customer=customer))


# How many web threads of this process may wait on a report job at once. The rest
# answer at once (loading page, or "try again"), so a slow BuzManager can never
# take every thread and stall pages that need no upstream at all.
_wait_slots = threading.BoundedSemaphore(max(1, settings.GUNICORN_THREADS // 2))


def job_wait(job: ReportJob, *, seconds: float) -> ReportJob:
    """The job once it has settled, or as it is when `seconds` run out (or no wait slot is free).

    The worker wakes this thread when the job finishes (lib.wakeups); it also looks
    every JOB_LOOK_SECONDS on its own, in case a wake-up is lost.
    """
    job.refresh_from_db()
    if not job.is_live or seconds <= 0 or not _wait_slots.acquire(blocking=False):
        return job
    try:
        deadline = time.monotonic() + seconds
        with listening(job_done_channel(job.pk)) as finished:
            job.refresh_from_db()  # listening now: a finish from here on wakes us
            while job.is_live and (left := deadline - time.monotonic()) > 0:
                finished.wait(min(JOB_LOOK_SECONDS, left))
                job.refresh_from_db()
    finally:
        _wait_slots.release()
    return job


def report_within_budget(*, customer: Customer, filters: ReportFilters) -> Report:
    """The whole report as live as the fetch policy allows, waiting at most BUZ_WEB_WAIT_SECONDS.

    Upstream is only ever called by the report job (a worker), never by the web thread:
    this waits for the job within the budget (woken when it finishes). Stale data whose
    refresh does not come in time is still the complete report (its note says how old).
    With nothing to show in time: StillPreparing (503, Retry-After), never a page without
    the orders; a failed job: its failure.
    """
    peeks = report_peek(customer=customer)
    if not any(p.needs_live for p in peeks):
        return report_from_results(customer=customer, results=peeks, filters=filters)
    job = job_wait(job_start_or_join(customer=customer), seconds=settings.BUZ_WEB_WAIT_SECONDS)
    if job.status == ReportJob.DONE:
        try:
            return job_report(job, filters=filters)
        except CachedRowsGone:  # cleared (clear_cache) between the job and this page
            raise StillPreparing(job) from None
    if job.status == ReportJob.FAILED:
        raise job_failure(job)
    if _settled(peeks):
        return report_from_results(customer=customer, results=peeks, filters=filters)
    raise StillPreparing(job)


def job_failure(job: ReportJob) -> ReportUnavailable:
    """What a failed job tells whoever asked: its message, its page's status, and when to try again."""
    return ReportUnavailable(
        job.error or GENERIC_FAILURE, http_status=job.error_status or 502, retry_after=DEFAULT_RETRY_SECONDS
    )


class StillPreparing(ReportUnavailable):
    """The job was not done within the budget: 503, ask again in a few seconds (a browser may follow `job`)."""

    def __init__(self, job: ReportJob) -> None:
        super().__init__(STILL_PREPARING, http_status=503, retry_after=STILL_PREPARING_RETRY_SECONDS)
        self.job = job


def report_for_export(*, customer: Customer, filters: ReportFilters) -> Report:
    """The data the page would show: cached or stale data as it is, else a fresh fetch within the budget
    (StillPreparing when it does not come in time)."""
    peeks = report_peek(customer=customer)
    if _settled(peeks):
        return report_from_results(customer=customer, results=peeks, filters=filters)
    return report_within_budget(customer=customer, filters=filters)


def job_report(job: ReportJob, *, filters: ReportFilters) -> Report:
    return report_from_results(customer=job.customer, results=results_from_json(job.result), filters=filters)


def job_status(job: ReportJob) -> dict[str, Any]:
    """The loading page's view of a job (README, "Customer URLs": /jobs/<id>)."""
    job = job_recover_if_stalled(job) if job.is_live else job
    return {
        "status": job.status,
        "pct": job.percent,
        "log": job.log,
        "error": (job.error or GENERIC_FAILURE) if job.status == ReportJob.FAILED else None,
        "report_url": reverse("job-report", args=[job.pk]) if job.status == ReportJob.DONE else None,
        # live, cached or mixed once done: "cached" means BuzManager could not be reached and nothing is newer.
        "source": job.source or None,
    }
