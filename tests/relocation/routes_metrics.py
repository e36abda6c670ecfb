"""Authorisation-walker routes of the relocation metrics area (see tests/test_authz_walker.py).

The pages and operations name no object; their scope parameter names a division inside the actors' city. A scope outside the
actor's view is a validation error (422, naming the field `scope`), not a 404, so the routes are not marked scoped."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW = Perm.RELOCATION_VIEW
Q = "?as_of=2026-06-30&scope=429921&by=township"

WEB: dict = {
    "relocation_metrics:index": Route("/relocation/metrics/" + Q, perm=VIEW, denied="sysadmin"),
    "relocation_metrics:export": Route("/relocation/metrics/export/" + Q, perm=VIEW, denied="secadmin"),
}

API: dict = {
    "GET /api/v1/relocation/metrics": Route("/api/v1/relocation/metrics" + Q, perm=VIEW, denied="sysadmin"),
    "GET /api/v1/relocation/metrics/xlsx": Route("/api/v1/relocation/metrics/xlsx?as_of=2026-06-30&by=site", perm=VIEW, denied="auditadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    return {}, {}
