"""Report jobs: one per customer at a time, run by django-q2, watched by the loading page."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from customers.links import link_fingerprint
from customers.models import Customer
from lib.wakeups import wake
from reports.models import ReportJob
from reports.report import (
    ReportUnavailable,
    describe_fetch,
    report_fetch,
    results_check,
    results_to_json,
    source_summary,
)
from reports.selectors import live_job_for

log = logging.getLogger(__name__)


def _heartbeat_seconds() -> float:
    # Several beats within the stall limit, so a slow upstream call is never taken for a dead worker.
    return max(1.0, settings.BUZ_JOB_STALL_SECONDS / 6)


GENERIC_FAILURE = "Something went wrong while preparing your orders. Please try again in a few minutes."
LINK_REPLACED = "This link has been replaced."
STALLED_FAILURE = (
    "Preparing your orders is taking much longer than it should. Please try again in a few minutes; "
    "if it keeps happening, let us know."
)


def job_done_channel(job_id: Any) -> str:
    """What a web thread waiting for this job listens on (lib.wakeups)."""
    return f"report-job-done:{job_id}"


# --- starting and joining -------------------------------------------------------------


def _enqueue(job: ReportJob) -> None:
    job_id = str(job.id)
    # After commit, so the worker never looks for a job row that is not there yet.
    transaction.on_commit(lambda: async_task("reports.tasks.run_report_job", job_id, task_name=f"report-{job_id}"))


def job_start_or_join(*, customer: Customer) -> ReportJob:
    """The customer's live job, or a new one queued. Never two at once (a unique constraint).

    A live job made under a link since replaced is retired, not joined: whoever follows
    it holds the old link, and must learn nothing of the new one.
    """
    existing = ReportJob.objects.live().filter(customer=customer).first()
    if existing is not None and not existing.made_for_current_link:
        _retire_replaced(customer)
        existing = live_job_for(customer)
    if existing is not None:
        return job_recover_if_stalled(existing)
    try:
        with transaction.atomic():
            job = ReportJob.objects.create(
                customer=customer, link_fingerprint=link_fingerprint(customer.obfuscated_id), log=["In the queue…"]
            )
    except IntegrityError:
        # Another request created it between our look and our insert: join that one.
        return ReportJob.objects.live().get(customer=customer)
    _enqueue(job)
    return job


def _retire_replaced(customer: Customer) -> None:
    """Fail a live job made under a link since replaced, so a new one may start (one live job per
    customer). Its worker's later writes are conditional on its status, so they miss."""
    current = link_fingerprint(customer.obfuscated_id)
    ReportJob.objects.live().filter(customer=customer).exclude(link_fingerprint=current).update(
        status=ReportJob.FAILED, error=LINK_REPLACED, error_status=404, finished_at=timezone.now()
    )


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
            log=[*job.log, "This is taking longer than usual; trying again…"],
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
        finished = bool(self._mine().update(log=self.lines, finished_at=timezone.now(), **fields))
        wake(job_done_channel(self.job.pk))  # web threads waiting for it answer now, not at their next look
        return finished


@contextmanager
def _heartbeat(job_id: Any, attempt: int) -> Iterator[None]:
    """Beat every few seconds from a side thread while the slow fetch runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(_heartbeat_seconds()):
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


def job_run(job_id: str) -> None:
    """Build a job's report; safe to call twice (the claim is a conditional update)."""
    job = ReportJob.objects.select_related("customer").filter(pk=job_id, status=ReportJob.QUEUED).first()
    # The claim writes the first step too: one write fewer before the upstream call.
    claimed = job is not None and ReportJob.objects.filter(pk=job_id, status=ReportJob.QUEUED).update(
        status=ReportJob.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
        percent=10,
        log=[*job.log, "Asking our production system for your orders…"],
    )
    if not claimed:
        log.info("report job %s was not queued any more; nothing to do", job_id)
        return
    job.refresh_from_db(fields=["attempts", "log", "percent"])
    progress = _Progress(job, job.attempts)
    progress.percent = 10
    customer = job.customer
    with _heartbeat(job.pk, job.attempts):
        try:
            targets = customer.fetch_targets
            share = 80 / len(targets)
            results = report_fetch(
                customer=customer,
                on_done=lambda r: progress.step(
                    progress.percent + share, describe_fetch(r, one_of_several=len(targets) > 1)
                ),
            )
            # Whether there is anything to show; the report itself is built where it is shown
            # (building it here too cost every cold report a few milliseconds for a log line).
            results_check(results)
        except ReportUnavailable as exc:
            progress.lines.append("No orders could be fetched.")
            progress.finish(status=ReportJob.FAILED, error=exc.message, error_status=exc.http_status)
            return
        except Exception:
            log.exception("report job %s failed", job_id)
            progress.finish(status=ReportJob.FAILED, error=GENERIC_FAILURE, error_status=502)
            return
        progress.lines.append("Ready: opening your orders…")
        progress.finish(
            status=ReportJob.DONE,
            percent=100,
            result=results_to_json(results),
            source=source_summary(r.source for r in results),
        )


# --- housekeeping ---------------------------------------------------------------------------------


@transaction.atomic
def jobs_purge(*, actor: Actor, older_than_days: int | None = None, dry_run: bool = False) -> int:
    """Delete finished jobs (all, or those finished more than N days ago); live jobs are kept."""
    jobs = ReportJob.objects.finished()
    if older_than_days is not None:
        jobs = jobs.filter(finished_at__lt=timezone.now() - timedelta(days=older_than_days))
    count = jobs.count()
    if not dry_run:
        jobs.delete()
        age = f" finished more than {older_than_days} days ago" if older_than_days is not None else ""
        audit_record(
            actor=actor, action=AuditEvent.Action.PURGED_JOBS, summary=f"{count} finished report jobs{age} deleted"
        )
    return count
