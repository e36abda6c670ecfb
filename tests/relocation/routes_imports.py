"""Authorisation-walker routes of the relocation imports area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/relocation/imports"
A = "/api/v1/relocation/imports"

# Importing (and reading past imports and their error workbooks) needs RELOCATION_EDIT; templates are for every
# relocation reader. Object keys carry an ri_ prefix (the sample objects of every area share one namespace).
WEB: dict = {
    "relocation_imports:index": Route(W + "/", perm=Perm.RELOCATION_EDIT, denied="leader"),
    "relocation_imports:template": Route(W + "/template/employment/", perm=Perm.RELOCATION_VIEW, denied="sysadmin"),
    "relocation_imports:batch": Route(W + "/{ri_batch_id}/", perm=Perm.RELOCATION_EDIT, denied="auditor", scoped=True),
    "relocation_imports:errors": Route(W + "/{ri_batch_id}/errors/", perm=Perm.RELOCATION_EDIT, denied="county_reviewer", scoped=True),
}
API: dict = {
    f"POST {A}": Route(A, perm=Perm.RELOCATION_EDIT, denied="leader", data={}),
    f"GET {A}": Route(A, perm=Perm.RELOCATION_EDIT, denied="auditor"),
    f"GET {A}/{{batch_id}}": Route(A + "/{ri_batch_id}", perm=Perm.RELOCATION_EDIT, denied="leader", scoped=True),
    f"GET {A}/{{batch_id}}/errors": Route(A + "/{ri_batch_id}/errors", perm=Perm.RELOCATION_EDIT, denied="county_reviewer", scoped=True),
    f"GET {A}/templates/{{kind}}": Route(A + "/templates/medical", perm=Perm.RELOCATION_VIEW, denied="secadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """An employment import with an error workbook in the city, and one in the other city."""
    from pathlib import Path

    from django.conf import settings

    from anju.imports.models import ImportBatch

    def batch(division: str, name: str) -> ImportBatch:
        path = Path(settings.ANJU_GENERATED_DIR) / "walker" / f"{name}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK\x03\x04walker")
        return ImportBatch.objects.create(template="relocation.employment", file_name=f"{name}.xlsx", file_sha256="0" * 64, mode="valid-only",
                                          division_code=division, rows=2, imported=1, rejected=1, applied=True, errors_file=str(path),
                                          created_by=users["city_clerk"])

    return {"ri_batch_id": batch("429921000000", "ri-in").pk}, {"ri_batch_id": batch("429821000000", "ri-out").pk}
