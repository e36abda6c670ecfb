"""Authorisation-walker routes of the subsidies' reference area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

R = "/subsidies/reference"
A = "/api/v1/subsidies"
LAYOUT = {"name": "walker格式", "columns": [{"field": "name", "header": "户名"}, {"field": "account", "header": "账号"},
                                          {"field": "amount", "header": "金额"}],
          "return_columns": {"account": "账号", "amount": "金额", "result": "处理结果"}}

# Banks are shared by the installation (not scoped); layouts have a division scope. Each delete has its own sample.
WEB: dict = {
    "subsidies_reference:banks": Route(R + "/banks/", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    "subsidies_reference:bank_new": Route(R + "/banks/new/", perm=Perm.SUBSIDY_POLICY, denied="leader"),
    "subsidies_reference:bank_edit": Route(R + "/banks/{ref_bank_id}/edit/", perm=Perm.SUBSIDY_POLICY, denied="finance"),
    "subsidies_reference:bank_active": Route(R + "/banks/{ref_bank_id}/active/", "POST", Perm.SUBSIDY_POLICY, denied="auditor",
                                             data={"active": "0"}),
    "subsidies_reference:layouts": Route(R + "/layouts/", perm=Perm.SUBSIDY_VIEW, denied="secadmin"),
    "subsidies_reference:layout_new": Route(R + "/layouts/new/", perm=Perm.SUBSIDY_POLICY, denied="leader"),
    "subsidies_reference:layout_edit": Route(R + "/layouts/{ref_layout_id}/edit/", perm=Perm.SUBSIDY_POLICY, denied="finance",
                                             scoped=True),
    "subsidies_reference:layout_delete": Route(R + "/layouts/{ref_layout_web_id}/delete/", "POST", Perm.SUBSIDY_POLICY, denied="auditor",
                                               scoped=True),
}

API: dict = {
    f"GET {A}/banks": Route(A + "/banks", perm=Perm.SUBSIDY_VIEW, denied="auditadmin"),
    f"POST {A}/banks": Route(A + "/banks", perm=Perm.SUBSIDY_POLICY, denied="leader", data={"name": "walker银行", "lengths": [16, 19]}),
    f"GET {A}/banks/{{bank_id}}": Route(A + "/banks/{ref_bank_id}", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    f"PATCH {A}/banks/{{bank_id}}": Route(A + "/banks/{ref_bank_id}", perm=Perm.SUBSIDY_POLICY, denied="finance", data={"active": True}),
    f"GET {A}/bank-layouts": Route(A + "/bank-layouts", perm=Perm.SUBSIDY_VIEW, denied="secadmin"),
    f"POST {A}/bank-layouts": Route(A + "/bank-layouts", perm=Perm.SUBSIDY_POLICY, denied="auditor", data=LAYOUT),
    f"GET {A}/bank-layouts/{{layout_id}}": Route(A + "/bank-layouts/{ref_layout_id}", perm=Perm.SUBSIDY_VIEW, denied="sysadmin",
                                                 scoped=True),
    f"PATCH {A}/bank-layouts/{{layout_id}}": Route(A + "/bank-layouts/{ref_layout_id}", perm=Perm.SUBSIDY_POLICY, denied="leader",
                                                   scoped=True, data={"note": "walker"}),
    f"DELETE {A}/bank-layouts/{{layout_id}}": Route(A + "/bank-layouts/{ref_layout_api_id}", perm=Perm.SUBSIDY_POLICY, denied="finance",
                                                    scoped=True),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.subsidies.models import Bank, BankLayout

    bank = Bank.objects.create(name="walker银行一", lengths=[16])

    def layout(scope: str, name: str) -> int:
        return BankLayout.objects.create(name=f"{name}-{scope}", scope=scope, columns=LAYOUT["columns"],
                                         return_columns=LAYOUT["return_columns"]).pk

    inside = {"ref_bank_id": bank.pk, "ref_layout_id": layout("4299", "a"), "ref_layout_web_id": layout("429921", "b"),
              "ref_layout_api_id": layout("429922", "c")}
    outside = {"ref_bank_id": bank.pk, "ref_layout_id": layout("4298", "a"), "ref_layout_web_id": layout("4298", "b"),
               "ref_layout_api_id": layout("429821", "c")}
    return inside, outside
