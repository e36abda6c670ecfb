"""Authorisation-walker routes of the projects' imports area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/imports"
A = "/api/v1/projects/imports"

# The upload page, the list and the batch pages are for roles that may import some kind (PROJECT_EDIT or PROJECT_FUNDS;
# finance holds only the latter): the table names PROJECT_FUNDS, which every importing role holds. Object keys carry a
# pi_ prefix (the sample objects of every area share one namespace).
WEB: dict = {
    "projects_imports:index": Route(W + "/", perm=Perm.PROJECT_FUNDS, denied="leader"),
    "projects_imports:template": Route(W + "/template/payments/", perm=Perm.PROJECT_VIEW, denied="sysadmin"),
    "projects_imports:batch": Route(W + "/{pi_batch_id}/", perm=Perm.PROJECT_FUNDS, denied="auditor", scoped=True),
    "projects_imports:errors": Route(W + "/{pi_batch_id}/errors/", perm=Perm.PROJECT_FUNDS, denied="leader", scoped=True),
}
API: dict = {
    f"POST {A}": Route(A, perm=Perm.PROJECT_FUNDS, denied="leader", data={}),
    f"GET {A}": Route(A, perm=Perm.PROJECT_FUNDS, denied="auditor"),
    f"GET {A}/{{batch_id}}": Route(A + "/{pi_batch_id}", perm=Perm.PROJECT_FUNDS, denied="leader", scoped=True),
    f"GET {A}/{{batch_id}}/errors": Route(A + "/{pi_batch_id}/errors", perm=Perm.PROJECT_FUNDS, denied="auditor", scoped=True),
    f"GET {A}/templates/{{kind}}": Route(A + "/templates/progress", perm=Perm.PROJECT_VIEW, denied="secadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """A payment import with an error workbook in the city, and one in the other city."""
    from pathlib import Path

    from django.conf import settings

    from anju.imports.models import ImportBatch

    def batch(division: str, name: str) -> ImportBatch:
        path = Path(settings.ANJU_GENERATED_DIR) / "walker" / f"{name}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK\x03\x04walker")
        return ImportBatch.objects.create(template="projects.payments", file_name=f"{name}.xlsx", file_sha256="0" * 64, mode="valid-only",
                                          division_code=division, rows=2, imported=1, rejected=1, applied=True, errors_file=str(path),
                                          created_by=users["city_clerk"])

    return {"pi_batch_id": batch("429921000000", "pi-in").pk}, {"pi_batch_id": batch("429821000000", "pi-out").pk}
