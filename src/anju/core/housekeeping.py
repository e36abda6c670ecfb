"""Periodic upkeep: seal audit events a lost race left unsealed, purge the log by retention, and the daily
tasks other apps register (the registry applies change requests whose effective date has come)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

from anju.core.audit import audit_purge, audit_seal

logger = logging.getLogger(__name__)

SEAL_INTERVAL_SECONDS = 60
PURGE_INTERVAL_SECONDS = 24 * 3600


DAILY: dict[str, Callable[[], object]] = {}


def register_daily(name: str, task: Callable[[], object]) -> None:
    """Run `task` in each daily round (apps register at ready); it audits its own changes."""
    DAILY[name] = task


@dataclass
class HousekeepingResult:
    sealed: int
    purged: int | None  # None: purge not due in this round
    daily: dict[str, object] = field(default_factory=dict)


def housekeeping_once(*, purge: bool = True) -> HousekeepingResult:
    """One round: seal, and (when asked: the daily round) purge by the retention period and run the daily tasks."""
    sealed = audit_seal()
    purged = audit_purge(actor=None).purged if purge else None
    daily = {}
    if purge:
        for name, task in DAILY.items():
            try:
                daily[name] = task()
            except Exception:  # one failing task must not stop the others or the loop
                logger.exception("daily task %s failed", name)
                daily[name] = None
    return HousekeepingResult(sealed=sealed, purged=purged, daily=daily)


def run_housekeeping(stop: threading.Event, *, seal_every: float = SEAL_INTERVAL_SECONDS,
                     purge_every: float = PURGE_INTERVAL_SECONDS) -> None:
    """Loop until `stop` is set: seal every minute, purge once a day (first purge one interval after start)."""
    from anju.core.context import RequestMeta, reset_meta, set_meta

    token = set_meta(RequestMeta(channel="job"))
    since_purge = 0.0
    try:
        while not stop.wait(seal_every):
            since_purge += seal_every
            due = since_purge >= purge_every
            try:
                close_old_connections()
                housekeeping_once(purge=due)
                if due:
                    since_purge = 0.0
            except Exception:  # keep the loop alive; the next round retries
                logger.exception("housekeeping round failed")
    finally:
        reset_meta(token)
