"""Lookups of report jobs that more than one entry point makes."""

from __future__ import annotations

import uuid

from customers.models import Customer
from reports.models import ReportJob


def job_by_id(job_id: str) -> ReportJob | None:
    """The job with this id (as it appears in URLs), with its customer; None for unknown or malformed ids."""
    try:
        return ReportJob.objects.select_related("customer").get(pk=uuid.UUID(job_id))
    except (ValueError, ReportJob.DoesNotExist):
        return None


def public_job_by_id(job_id: str) -> ReportJob | None:
    """The job as the public routes (/jobs/, /report/) may show it: only while the link it was made
    for is still the customer's link. Anything else is unknown to them, like a purged job."""
    job = job_by_id(job_id)
    return job if job is not None and job.made_for_current_link else None


def live_job_for(customer: Customer) -> ReportJob | None:
    """The customer's queued or running job under its current link, if any (at most one exists)."""
    return ReportJob.objects.live().under_link(customer).first()


def last_recent_failure_for(customer: Customer) -> ReportJob | None:
    return ReportJob.objects.recently_failed().under_link(customer).order_by("-finished_at").first()
