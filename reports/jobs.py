"""Report jobs: one per customer at a time, run by django-q2, watched by the loading page."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django_q.tasks import async_task

from customers.models import Customer
from odata.services import FetchResult, cache_peek, fetch_targets
from reports.models import ReportJob
from reports.rules import ReportFilters
from reports.services import Report, ReportUnavailable, report_from_results

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
JOB_POLL_SECONDS = 0.2
GENERIC_FAILURE = "Something went wrong while preparing your orders. Please try again in a few minutes."
STILL_PREPARING = (
    "Your orders are still being prepared: our production system is slow to answer. Please try again in a minute."
)
STALLED_FAILURE = (
    "Preparing your orders is taking much longer than it should. Please try again in a few minutes; "
    "if it keeps happening, let us know."
)


# --- starting and joining -------------------------------------------------------------


def _enqueue(job: ReportJob) -> None:
    job_id = str(job.id)
    # After commit, so the worker never looks for a job row that is not there yet.
    transaction.on_commit(lambda: async_task("reports.tasks.run_report_job", job_id, task_name=f"report-{job_id}"))


def job_start_or_join(*, customer: Customer) -> ReportJob:
    """The customer's live job, or a new one queued. Never two at once (a unique constraint)."""
    existing = ReportJob.objects.live().filter(customer=customer).first()
    if existing is not None:
        return job_recover_if_stalled(existing)
    try:
        with transaction.atomic():
            job = ReportJob.objects.create(customer=customer, log=["Waiting for a free worker…"])
    except IntegrityError:
        # Another request created it between our look and our insert: join that one.
        return ReportJob.objects.live().get(customer=customer)
    _enqueue(job)
    return job


def job_recover_if_stalled(job: ReportJob) -> ReportJob:
    """A job whose worker died is re-queued once, then failed with a message: never an endless spinner."""
    if not ReportJob.objects.stalled().filter(pk=job.pk).exists():
        return job
    if job.recoveries == 0:
        # Conditional on the state we saw, so two pollers cannot both re-queue it.
        taken = ReportJob.objects.filter(pk=job.pk, status=job.status, recoveries=0).update(
            status=ReportJob.QUEUED,
            recoveries=1,
            queued_at=timezone.now(),
            log=[*job.log, "Restarting: the first attempt stopped answering."],
        )
        if taken:
            log.warning("report job %s stalled (%s); re-queued", job.pk, job.status)
            job.refresh_from_db()
            _enqueue(job)
    else:
        taken = ReportJob.objects.filter(pk=job.pk, status=job.status, recoveries=job.recoveries).update(
            status=ReportJob.FAILED, error=STALLED_FAILURE, error_status=504, finished_at=timezone.now()
        )
        if taken:
            log.error("report job %s stalled again after a restart; failed", job.pk)
    job.refresh_from_db()
    return job


# --- what the customer page shows --------------------------------------------------------


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
    peeks = [cache_peek(t) for t in customer.fetch_targets]
    if _settled(peeks):
        report = report_from_results(customer=customer, results=peeks, filters=filters)  # raises when nothing
        refresh = job_start_or_join(customer=customer) if any(p.needs_live for p in peeks) else None
        return PagePlan(report=report, job=refresh)
    live = ReportJob.objects.live().filter(customer=customer).first()
    if live is not None:
        live = job_recover_if_stalled(live)
        if live.is_live:
            return PagePlan(job=live)
    failed = ReportJob.objects.recently_failed().filter(customer=customer).order_by("-finished_at").first()
    if failed is not None:
        raise ReportUnavailable(failed.error or GENERIC_FAILURE, http_status=failed.error_status or 502)
    return PagePlan(job=job_start_or_join(customer=customer))


# How many web threads of this process may wait on a report job at once. The rest
# answer at once (loading page, or "try again"), so a slow BuzManager can never
# take every thread and stall pages that need no upstream at all.
_wait_slots = threading.BoundedSemaphore(max(1, settings.GUNICORN_THREADS // 2))


def job_wait(job: ReportJob, *, seconds: float) -> ReportJob:
    """The job once it has settled, or as it is when `seconds` run out (or no wait slot is free)."""
    job.refresh_from_db()
    if not job.is_live or seconds <= 0 or not _wait_slots.acquire(blocking=False):
        return job
    try:
        deadline = time.monotonic() + seconds
        while job.is_live and time.monotonic() < deadline:
            time.sleep(min(JOB_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            job.refresh_from_db()
    finally:
        _wait_slots.release()
    return job


def report_within_budget(*, customer: Customer, filters: ReportFilters) -> PagePlan:
    """The report as live as the fetch policy allows, waiting at most BUZ_WEB_WAIT_SECONDS.

    Upstream is only ever called by the report job (a worker), never by the
    web thread: this waits for the job within the budget. Past it, stale data
    with the job still refreshing it, or the job alone (the loading page).
    """
    peeks = [cache_peek(t) for t in customer.fetch_targets]
    if not any(p.needs_live for p in peeks):
        return PagePlan(report=report_from_results(customer=customer, results=peeks, filters=filters))
    job = job_wait(job_start_or_join(customer=customer), seconds=settings.BUZ_WEB_WAIT_SECONDS)
    if job.status == ReportJob.DONE:
        return PagePlan(report=job_report(job, filters=filters))
    if job.status == ReportJob.FAILED:
        raise ReportUnavailable(job.error or GENERIC_FAILURE, http_status=job.error_status or 502)
    if _settled(peeks):
        return PagePlan(report=report_from_results(customer=customer, results=peeks, filters=filters), job=job)
    return PagePlan(job=job)


def report_for_export(*, customer: Customer, filters: ReportFilters) -> Report:
    """The data the page would show: cached or stale data as it is, else a fresh fetch within the budget."""
    peeks = [cache_peek(t) for t in customer.fetch_targets]
    if _settled(peeks):
        return report_from_results(customer=customer, results=peeks, filters=filters)
    plan = report_within_budget(customer=customer, filters=filters)
    if plan.report is None:
        raise ReportUnavailable(STILL_PREPARING, http_status=503)
    return plan.report


def job_report(job: ReportJob, *, filters: ReportFilters) -> Report:
    results = [FetchResult.from_json(item) for item in job.result or []]
    return report_from_results(customer=job.customer, results=results, filters=filters)


def job_status(job: ReportJob) -> dict[str, Any]:
    """The loading page's view of a job (interface §5)."""
    job = job_recover_if_stalled(job) if job.is_live else job
    return {
        "status": job.status,
        "pct": job.percent,
        "log": job.log,
        "error": (job.error or GENERIC_FAILURE) if job.status == ReportJob.FAILED else None,
        "report_url": f"/report/{job.pk}" if job.status == ReportJob.DONE else None,
        # live, cached or mixed once done: "cached" means BuzManager could not be reached and nothing is newer.
        "source": job.source or None,
    }


# --- running ---------------------------------------------------------------------------------


class _Progress:
    """Writes percent and log lines, only while this attempt still owns the job."""

    def __init__(self, job: ReportJob, attempt: int) -> None:
        self.job = job
        self.attempt = attempt
        self.percent = 0
        self.lines = list(job.log)

    def _mine(self):
        return ReportJob.objects.filter(pk=self.job.pk, status=ReportJob.RUNNING, attempts=self.attempt)

    def step(self, percent: float, line: str) -> None:
        self.percent = min(99, max(self.percent, int(percent)))
        self.lines.append(line)
        self._mine().update(percent=self.percent, log=self.lines, heartbeat_at=timezone.now())

    def finish(self, **fields: Any) -> bool:
        return bool(self._mine().update(log=self.lines, finished_at=timezone.now(), **fields))


@contextmanager
def _heartbeat(job_id: Any, attempt: int) -> Iterator[None]:
    """Beat every few seconds from a side thread while the slow fetch runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                ReportJob.objects.filter(pk=job_id, status=ReportJob.RUNNING, attempts=attempt).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _describe(result: FetchResult) -> str:
    supplier = result.target.instance
    if result.source in ("live", "fresh"):
        return f"{supplier} orders fetched ({len(result.rows)} lines)"
    if result.has_data:
        when = date_format(timezone.localtime(result.fetched_at), "j M Y, g:i a")
        return f"{supplier} is not answering: using the copy cached at {when}"
    return f"{supplier} is not answering and nothing is cached"


def job_run(job_id: str) -> None:
    """Build a job's report; safe to call twice (the claim is a conditional update)."""
    claimed = ReportJob.objects.filter(pk=job_id, status=ReportJob.QUEUED).update(
        status=ReportJob.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
        percent=0,
    )
    if not claimed:
        log.info("report job %s was not queued any more; nothing to do", job_id)
        return
    job = ReportJob.objects.select_related("customer").get(pk=job_id)
    progress = _Progress(job, job.attempts)
    customer = job.customer
    with _heartbeat(job.pk, job.attempts):
        try:
            progress.step(10, f"Customer loaded: {customer.display_name}")
            targets = customer.fetch_targets
            share = 80 / len(targets)
            results = fetch_targets(targets, on_done=lambda r: progress.step(progress.percent + share, _describe(r)))
            report = report_from_results(customer=customer, results=results)
        except ReportUnavailable as exc:
            progress.lines.append("No order data could be fetched.")
            progress.finish(status=ReportJob.FAILED, error=exc.message, error_status=exc.http_status)
            return
        except Exception:
            log.exception("report job %s failed", job_id)
            progress.finish(status=ReportJob.FAILED, error=GENERIC_FAILURE, error_status=502)
            return
        progress.lines.append(f"Processed: {report.order_count} open orders, {report.line_count} lines")
        progress.finish(
            status=ReportJob.DONE,
            percent=100,
            result=[r.to_json() for r in results],
            source=report.source_summary,
        )


# --- housekeeping ---------------------------------------------------------------------------------


def jobs_purge(*, older_than_days: int | None = None, dry_run: bool = False) -> int:
    """Delete finished jobs (all, or those finished more than N days ago); live jobs are kept."""
    jobs = ReportJob.objects.finished()
    if older_than_days is not None:
        jobs = jobs.filter(finished_at__lt=timezone.now() - timedelta(days=older_than_days))
    count = jobs.count()
    if not dry_run:
        jobs.delete()
    return count
