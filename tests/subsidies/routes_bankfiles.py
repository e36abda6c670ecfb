"""Authorisation-walker routes of the subsidies' bankfiles area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

B = "/subsidies/batches/{bf_batch_id}"
R = "/subsidies/batches/returns/{bf_return_id}"
A = "/api/v1/subsidies/batches"
AB = A + "/{bf_batch_id}"
AR = A + "/returns/{bf_return_id}"

# The sample batch is exported: two items await a result, one failed (a supplement has something to re-issue), and a
# return file with a flagged row (its problem list exists). Its layout is set, so the API export needs no layout id.
WEB: dict = {
    "subsidies_bankfiles:export": Route(B + "/bank-file/", perm=Perm.SUBSIDY_RUN, denied="city_admin", scoped=True),
    "subsidies_bankfiles:returns": Route(B + "/returns/", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    "subsidies_bankfiles:return_new": Route(B + "/returns/new/", perm=Perm.SUBSIDY_RUN, denied="city_admin", scoped=True),
    "subsidies_bankfiles:outstanding": Route(B + "/outstanding/", perm=Perm.SUBSIDY_VIEW, denied="secadmin", scoped=True),
    "subsidies_bankfiles:resolve": Route(B + "/items/{bf_item_id}/resolve/", perm=Perm.SUBSIDY_RUN, denied="leader", scoped=True),
    "subsidies_bankfiles:supplement": Route(B + "/supplement/", perm=Perm.SUBSIDY_RUN, denied="finance", scoped=True),
    "subsidies_bankfiles:return_detail": Route(R + "/", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    "subsidies_bankfiles:return_errors": Route(R + "/errors.xlsx", perm=Perm.SUBSIDY_RUN, denied="auditor", scoped=True),
}

API: dict = {
    f"POST {A}/{{batch_id}}/bank-file": Route(AB + "/bank-file", perm=Perm.SUBSIDY_RUN, denied="city_admin", scoped=True, data={}),
    f"GET {A}/{{batch_id}}/returns": Route(AB + "/returns", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/{{batch_id}}/returns": Route(AB + "/returns", perm=Perm.SUBSIDY_RUN, denied="leader", scoped=True),
    f"GET {A}/returns/{{return_id}}": Route(AR, perm=Perm.SUBSIDY_VIEW, denied="secadmin", scoped=True),
    f"GET {A}/returns/{{return_id}}/rows": Route(AR + "/rows", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    f"GET {A}/returns/{{return_id}}/errors": Route(AR + "/errors", perm=Perm.SUBSIDY_RUN, denied="finance", scoped=True),
    f"GET {A}/{{batch_id}}/outstanding": Route(AB + "/outstanding", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/{{batch_id}}/items/{{item_id}}/resolve": Route(AB + "/items/{bf_item_id}/resolve", perm=Perm.SUBSIDY_RUN, denied="auditor",
                                                             scoped=True, data={"outcome": "paid", "bank_ref": "walker"}),
    f"POST {A}/{{batch_id}}/supplements": Route(AB + "/supplements", perm=Perm.SUBSIDY_RUN, denied="city_admin", scoped=True,
                                                data={"include_held": False}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import tempfile
    from pathlib import Path

    from anju.registry.models import Enrolment
    from anju.subsidies.models import BankLayout, BankReturn, Batch, Item
    from anju.subsidies.services.returns import bank_return_import
    from tests.registry.factories import OTHER_VILLAGE, VILLAGE

    from .bankfiles_data import return_csv, return_row
    from .factories import card, make_batch, make_item, paying_household

    layout = BankLayout.objects.filter(name="通用代发格式").first() or BankLayout.objects.create(
        name="通用代发格式", columns=[{"field": "name", "header": "户名"}, {"field": "account", "header": "账号"},
                                   {"field": "amount", "header": "金额"}, {"field": "reference", "header": "业务编号"}],
        return_columns={"reference": "业务编号", "account": "账号", "amount": "金额", "result": "处理结果"})

    def sample(county: str, village: str, number: str) -> tuple[Batch, list[Item]]:
        household = paying_household(number, [f"{number}甲", f"{number}乙", f"{number}丙"], village=village)
        batch = make_batch(county=county, year=2019, kind=Batch.Kind.SUPPLEMENTARY, state=Batch.State.EXPORTED, layout=layout)
        items = [make_item(batch, e) for e in Enrolment.objects.filter(household=household).select_related("person", "household").order_by("id")]
        Item.objects.filter(pk=items[2].pk).update(state=Item.State.FAILED, failure_reason="walker")
        return batch, items

    inside, items = sample("429921000000", VILLAGE, "WBF1")
    bad = return_row(items[1], reference=False)
    bad[2] = card()  # an account not in the batch: the return is rejected and has a problem list
    folder = Path(tempfile.mkdtemp(prefix="walker-return-"))
    ret = bank_return_import(actor=users["city_clerk"], batch=inside, source=return_csv(folder / "r.csv", [bad]))
    outside, other_items = sample("429821000000", OTHER_VILLAGE, "WBF2")
    other_return = BankReturn.objects.create(batch=outside, file_name="r.csv", state=BankReturn.State.REJECTED, counts={"rows": 0})
    return ({"bf_batch_id": inside.pk, "bf_item_id": items[0].pk, "bf_return_id": ret.pk},
            {"bf_batch_id": outside.pk, "bf_item_id": other_items[0].pk, "bf_return_id": other_return.pk})
