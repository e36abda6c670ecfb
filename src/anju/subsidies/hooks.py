"""Hooks into the platform: the daily housekeeping round looks for overpayments to recover."""

from __future__ import annotations

from anju.core.housekeeping import register_daily
from anju.subsidies import jobs_ledger  # noqa: F401  (registers the ledger's job kinds in every process, the worker's included)


def detect_recoveries() -> dict:
    """The daily round: look over every county for months paid after a removal took effect (system actor)."""
    from anju.subsidies.services.recoveries import recoveries_detect

    return recoveries_detect()


register_daily("subsidies.recoveries.detect", detect_recoveries)
