"""Authorisation-walker routes of the relocation steps area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

VIEW, EDIT = Perm.RELOCATION_VIEW, Perm.RELOCATION_EDIT
W, A = "/relocation/steps", "/api/v1/relocation/steps"

WEB: dict = {
    "relocation_steps:progress": Route(W + "/", perm=VIEW, denied="sysadmin"),
    "relocation_steps:progress_export": Route(W + "/progress.xlsx", perm=VIEW, denied="secadmin"),
    "relocation_steps:households": Route(W + "/households/", perm=VIEW, denied="auditadmin"),
    "relocation_steps:household": Route(W + "/households/{rs_household}/", perm=VIEW, denied="sysadmin", scoped=True),
    "relocation_steps:record": Route(W + "/households/{rs_household}/record/", perm=EDIT, denied="auditor", scoped=True),
    "relocation_steps:undo": Route(W + "/households/{rs_household}/undo/", "POST", perm=EDIT, denied="leader", scoped=True,
                                   data={"reason": "巡检撤销"}),
    "relocation_steps:evidence": Route(W + "/evidence/{rs_step}/", perm=VIEW, denied="secadmin", scoped=True),
}

API: dict = {
    "GET /api/v1/relocation/steps/households/{household_id}": Route(A + "/households/{rs_household}", perm=VIEW, denied="sysadmin",
                                                                     scoped=True),
    "POST /api/v1/relocation/steps/households/{household_id}/steps": Route(A + "/households/{rs_household}/steps", perm=EDIT,
                                                                            denied="auditor", scoped=True),
    "POST /api/v1/relocation/steps/households/{household_id}/undo": Route(A + "/households/{rs_household}/undo", perm=EDIT,
                                                                           denied="finance", scoped=True, data={"reason": "巡检撤销"}),
    "GET /api/v1/relocation/steps/evidence/{step_id}": Route(A + "/evidence/{rs_step}", perm=VIEW, denied="auditadmin", scoped=True),
    "GET /api/v1/relocation/steps/progress": Route(A + "/progress", perm=VIEW, denied="secadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from pathlib import Path

    from django.conf import settings

    from anju.relocation.models import RelocationStep, Step

    from .factories import OTHER_VILLAGE, VILLAGE, make_relocated_household

    def sample(village: str, with_file: bool) -> dict:
        household = make_relocated_household(village=village, step=Step.AGREEMENT)
        step = RelocationStep.objects.get(relocation__household=household, step=Step.AGREEMENT)
        step.evidence_path, step.evidence_name = f"relocation/steps/{step.relocation_id}/walker.pdf", "协议.pdf"
        step.save(update_fields=["evidence_path", "evidence_name"])
        if with_file:
            path = Path(settings.MEDIA_ROOT) / step.evidence_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"%PDF-1.4\n%%EOF\n")
        return {"rs_household": household.pk, "rs_step": step.pk}

    return sample(VILLAGE, True), sample(OTHER_VILLAGE, False)
