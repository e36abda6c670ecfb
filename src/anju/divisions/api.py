"""Division endpoints: list/search in scope, one division with ancestors, children with counts."""


from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from anju.core.api_base import ERRORS, Pagination, Text
from anju.divisions.selectors import access_division, division_ancestors, division_children, division_list

router = Router(tags=["divisions"])


class DivisionOut(Schema):
    code: str
    short_code: str
    name: str
    level: int
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent_id


class DivisionFilter(Schema):
    parent: Text | None = None
    level: int | None = None
    q: Text | None = None


class ChildOut(Schema):
    division: DivisionOut
    counts: dict[str, int]


class DivisionDetailOut(DivisionOut):
    ancestors: list[DivisionOut]
    # Read from `child_rows`: `children` on a Division is the reverse relation of `parent`.
    children: list[ChildOut] = Field(..., alias="child_rows")


@router.get("", response={200: list[DivisionOut], **ERRORS}, summary="区划列表（本辖区）")
@paginate(Pagination)
def list_divisions(request, filters: Query[DivisionFilter]):
    parent = ""
    if filters.parent:
        parent = access_division(request.auth, filters.parent).code
    return division_list(actor=request.auth, parent=parent, level=filters.level, q=filters.q or "")


def _children(request, division):
    return [{"division": c["division"], "counts": {str(k): v for k, v in c["counts"].items()}}
            for c in division_children(actor=request.auth, division=division)]


@router.get("/{code}", response={200: DivisionDetailOut, **ERRORS}, summary="一个区划及其上级、下级")
def get_division(request, code: str):
    division = access_division(request.auth, code)
    division.ancestors = division_ancestors(division)[:-1]
    division.child_rows = _children(request, division)
    return division


@router.get("/{code}/children", response={200: list[ChildOut], **ERRORS}, summary="下级区划及各级数量")
def get_children(request, code: str):
    return _children(request, access_division(request.auth, code))
