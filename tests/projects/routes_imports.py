"""Authorisation-walker routes of the projects' imports area (see tests/test_authz_walker.py)."""

from __future__ import annotations

WEB: dict = {}
API: dict = {}


def objects(users: dict) -> tuple[dict, dict]:
    return {}, {}
