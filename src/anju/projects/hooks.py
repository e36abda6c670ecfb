"""Hooks into the platform: the daily housekeeping round evaluates the early-warning rules."""

from __future__ import annotations

from anju.core.housekeeping import register_daily


def evaluate_warnings() -> dict:
    """The daily round: evaluate every active warning rule over every division (system actor)."""
    from anju.projects.services.warnings import warnings_evaluate

    return warnings_evaluate()


register_daily("projects.warnings.evaluate", evaluate_warnings)
