"""Authorisation-walker routes of the import engine (header aliases) (see tests/test_authz_walker.py).

Aliases are global (not scoped to a division), so no route has an out-of-scope variant.
"""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

WEB: dict = {
    "imports:aliases": Route("/imports/aliases/", perm=Perm.REFERENCE_MANAGE, denied="city_admin"),
    "imports:alias_delete": Route("/imports/aliases/{web_alias_id}/delete/", "POST", Perm.REFERENCE_MANAGE, denied="sysadmin"),
}
API: dict = {
    "GET /api/v1/imports/templates": Route("/api/v1/imports/templates", perm=Perm.REFERENCE_MANAGE, denied="city_admin"),
    "GET /api/v1/imports/aliases": Route("/api/v1/imports/aliases", perm=Perm.REFERENCE_MANAGE, denied="auditadmin"),
    "POST /api/v1/imports/aliases": Route("/api/v1/imports/aliases", perm=Perm.REFERENCE_MANAGE, denied="city_admin",
                                          data={"template": "test.roster", "field": "name", "alias": "户主名字"}),
    "DELETE /api/v1/imports/aliases/{alias_id}": Route("/api/v1/imports/aliases/{alias_id}", perm=Perm.REFERENCE_MANAGE,
                                                       denied="secadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.imports.models import HeaderAlias
    from tests.imports.specs import TEST_SPEC  # registers the template the POST names

    # One alias for the page's delete and one for the API's: within a test the web routes run first.
    web = HeaderAlias.objects.create(template=TEST_SPEC.template, field="name", alias="walker网页")
    api = HeaderAlias.objects.create(template=TEST_SPEC.template, field="name", alias="walker接口")
    ids = {"web_alias_id": web.pk, "alias_id": api.pk}
    return ids, ids
