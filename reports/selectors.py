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


def live_job_for(customer: Customer) -> ReportJob | None:
    """The customer's queued or running job, if any (at most one exists)."""
    return ReportJob.objects.live().filter(customer=customer).first()


def last_recent_failure_for(customer: Customer) -> ReportJob | None:
    return ReportJob.objects.recently_failed().filter(customer=customer).order_by("-finished_at").first()
