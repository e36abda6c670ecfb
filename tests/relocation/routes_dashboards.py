"""Authorisation-walker routes of the relocation dashboards area (see tests/test_authz_walker.py)."""

from __future__ import annotations

WEB: dict = {}
API: dict = {}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    return {}, {}
