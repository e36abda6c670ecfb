"""Bank-file reads, always scoped: the layouts a batch may be exported in, a batch's returns, one return and its rows,
the items still awaiting a result, and the bank-file buttons an actor may use."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.exceptions import NotFound
from anju.subsidies.models import BankLayout, BankReturn, BankReturnRow, Batch, Item
from anju.subsidies.selectors import access_batch, access_item, batch_items, batch_visible
from anju.subsidies.selectors_reference import layout_list
from anju.subsidies.services.bankfiles import EXPORTABLE, layout_applies, layout_summary
from anju.subsidies.services.returns import RETURNABLE, error_file
from anju.subsidies.services.supplements import RESOLVABLE, SUPPLEMENTABLE

FLAGGED = "flagged"  # the rows filter value for "every flagged row"


def bankfile_layouts(*, actor, batch: Batch) -> list[BankLayout]:
    """The layouts the actor sees that apply to the batch's county, each with `summary` (format, encoding, columns)."""
    layouts = [layout for layout in layout_list(actor=actor) if layout_applies(layout, batch)]
    for layout in layouts:
        layout.summary = layout_summary(layout)
    return layouts


def bankfile_layout(*, actor, batch: Batch, layout_id) -> BankLayout:
    """One layout of bankfile_layouts, or NotFound."""
    try:
        pk = int(layout_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    for layout in layout_list(actor=actor).filter(pk=pk):
        return layout
    raise NotFound()


def bankfile_pending(batch: Batch) -> tuple[int, int]:
    """How many items, and how many fen, a bank file of the batch would carry now (its pending items)."""
    agg = Item.objects.filter(batch=batch, state=Item.State.PENDING).aggregate(n=Count("id"), fen=Sum("amount"))
    return agg["n"] or 0, int(agg["fen"] or 0)


def bank_return_list(*, actor, batch: Batch) -> QuerySet[BankReturn]:
    require_perm(actor, Perm.SUBSIDY_VIEW)
    return BankReturn.objects.filter(batch=batch).select_related("uploaded_by").order_by("-uploaded_at", "-id")


def access_bank_return(actor, return_id) -> BankReturn:
    """One return file of a batch the actor may see, or NotFound."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(return_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    bank_return = BankReturn.objects.filter(pk=pk).select_related("batch", "uploaded_by").first()
    if bank_return is None:
        raise NotFound()
    if not batch_visible(actor, bank_return.batch):
        raise NotFound()
    return bank_return


def _part(actor, batch: Batch) -> str:
    prefix = actor.view_prefix
    return prefix if len(prefix) > 6 and prefix.isdigit() and prefix.startswith(batch.division_code[:6]) else ""


def bank_return_rows(*, actor, bank_return: BankReturn, flag: str = "") -> QuerySet[BankReturnRow]:
    """The rows of a return in file order; `flag` one flag, FLAGGED every flagged row, "ok" the rows without a flag.
    A viewer below the county sees the rows matched to items of its own part only."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = BankReturnRow.objects.filter(bank_return=bank_return).select_related("item")
    part = _part(actor, bank_return.batch)
    if part:
        qs = qs.filter(code_prefix_q("item__division_code", part))
    if flag == FLAGGED:
        qs = qs.exclude(flag="")
    elif flag == "ok":
        qs = qs.filter(flag="")
    elif flag:
        qs = qs.filter(flag=flag)
    return qs.order_by("row", "id")


def outstanding_items(*, actor, batch: Batch, division: str = "", q: str = "") -> QuerySet[Item]:
    """Exported items still waiting for the bank's result (pending), in roster order."""
    return batch_items(actor=actor, batch=batch, state=Item.State.PENDING, division=division, q=q)


def access_outstanding_item(actor, batch_id, item_id) -> tuple[Batch, Item]:
    """A batch and one of its items in the actor's part, or NotFound."""
    batch = access_batch(actor, batch_id)
    return batch, access_item(actor, batch, item_id)


def bankfile_actions(actor, batch: Batch) -> dict[str, bool]:
    """Which bank-file buttons an actor gets on a batch (the services check again)."""
    runner = actor.can(Perm.SUBSIDY_RUN) and in_scope(actor, batch.division_code, kind="entry")
    return {
        "export": runner and actor.can(Perm.REGISTRY_VIEW_PII) and batch.state in EXPORTABLE,
        "upload_return": runner and batch.state in RETURNABLE,
        "resolve": runner and batch.state in RESOLVABLE,
        "supplement": runner and batch.state in SUPPLEMENTABLE,
        "returns": batch.state in (Batch.State.EXPORTED, Batch.State.RETURNED, Batch.State.RECONCILED),
    }


def return_actions(actor, bank_return: BankReturn) -> dict[str, bool]:
    batch = bank_return.batch
    runner = actor.can(Perm.SUBSIDY_RUN) and in_scope(actor, batch.division_code, kind="entry")
    return {
        "errors": runner and actor.can(Perm.REGISTRY_VIEW_PII) and error_file(bank_return) is not None,
        "resolve": runner and batch.state in RESOLVABLE,
    }
