"""Hooks into the platform: the daily housekeeping round scans the records for 防返贫 risk signals and recomputes the
three-colour code of every open monitoring case."""

from __future__ import annotations

from anju.core.housekeeping import register_daily


def scan_signals() -> dict:
    """The daily round: raise new risk signals and recolour the open cases over every division (system actor)."""
    from django.utils import timezone

    from anju.relocation.services.signals import signals_scan

    return signals_scan(actor=None, as_of=timezone.localdate())


register_daily("relocation.monitoring.scan", scan_signals)
