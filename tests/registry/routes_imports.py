"""Authorisation-walker routes of the registry's import and export area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

WEB: dict = {
    "registry_imports:index": Route("/registry/imports/", perm=Perm.REGISTRY_IMPORT, denied="leader"),
    "registry_imports:template": Route("/registry/imports/template/reservoir/", perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    "registry_imports:export": Route("/registry/imports/export/", "POST", Perm.REGISTRY_EXPORT, denied="leader",
                                     data={"program": "reservoir", "format": "csv"}),
}
API: dict = {
    "POST /api/v1/registry/imports": Route("/api/v1/registry/imports", perm=Perm.REGISTRY_IMPORT, denied="leader", data={}),
    "GET /api/v1/registry/imports": Route("/api/v1/registry/imports", perm=Perm.REGISTRY_IMPORT, denied="finance"),
    "GET /api/v1/registry/imports/{batch_id}": Route("/api/v1/registry/imports/{batch_id}", perm=Perm.REGISTRY_IMPORT, denied="auditor",
                                                     scoped=True),
    "GET /api/v1/registry/imports/templates/{program}": Route("/api/v1/registry/imports/templates/relocation", perm=Perm.REGISTRY_VIEW,
                                                              denied="secadmin"),
    "POST /api/v1/registry/imports/exports": Route("/api/v1/registry/imports/exports", perm=Perm.REGISTRY_EXPORT, denied="leader",
                                                   data={"program": "reservoir"}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """An import batch in the city and one in the other city."""
    from anju.imports.models import ImportBatch

    inside = ImportBatch.objects.create(template="registry.reservoir", file_name="in.csv", file_sha256="0" * 64, mode="all-or-nothing",
                                        division_code="429921000000", created_by=users["city_clerk"])
    outside = ImportBatch.objects.create(template="registry.reservoir", file_name="out.csv", file_sha256="0" * 64, mode="all-or-nothing",
                                         division_code="429821000000")
    return {"batch_id": inside.pk}, {"batch_id": outside.pk}
