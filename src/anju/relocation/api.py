"""Relocation API: resettlement sites (list, one with its households, create, update)."""


from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.relocation import selectors
from anju.relocation.models import Site
from anju.relocation.services.sites import site_create, site_update

router = Router(tags=["relocation"])

DIVISION = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"
CODE = r"^[A-Za-z0-9_-]{1,32}$"
NAME = r"^[^\x00]*[^\x00\s][^\x00]*$"  # not blank, no NUL


class SiteOut(Schema):
    id: int
    code: str
    name: str
    division_code: str
    placement: str
    area_type: str
    capacity: int


class SiteHouseholdOut(Schema):
    id: int
    number: str
    division_code: str
    head_name: str | None
    persons: int

    @staticmethod
    def resolve_head_name(obj):
        return obj.head.name if obj.head_id else None


class SiteDetail(SiteOut):
    households: list[SiteHouseholdOut]
    households_total: int


class SiteFilter(Schema):
    q: Text | None = Field(None, max_length=64)


class SiteIn(Schema):
    code: str = Field(..., pattern=CODE)
    name: str = Field(..., max_length=100, pattern=NAME)
    division: str = Field(..., pattern=DIVISION, description="所在区划代码（县、乡镇或村）")
    placement: Site.Placement
    area_type: Site.AreaType
    capacity: int = Field(0, ge=0, le=1_000_000)


class SitePatch(Schema):
    code: str | None = Field(None, pattern=CODE)
    name: str | None = Field(None, max_length=100, pattern=NAME)
    division: str | None = Field(None, pattern=DIVISION)
    placement: Site.Placement | None = None
    area_type: Site.AreaType | None = None
    capacity: int | None = Field(None, ge=0, le=1_000_000)


MAX_SITE_HOUSEHOLDS = 1000


@router.get("/sites", response={200: list[SiteOut], **ERRORS}, summary="安置点列表")
@paginate(Pagination)
def list_sites(request, filters: Query[SiteFilter]):
    return selectors.site_list(actor=request.auth, q=filters.q or "")


@router.get("/sites/{site_id}", response={200: SiteDetail, **ERRORS}, summary="一个安置点及其安置户（前 1000 户）")
def get_site(request, site_id: int):
    site = selectors.access_site(request.auth, site_id)
    households = selectors.site_households(actor=request.auth, site=site)
    site.households = list(households[:MAX_SITE_HOUSEHOLDS])
    site.households_total = households.count()
    return site


@router.post("/sites", response={201: SiteOut, 409: ErrorOut, **ERRORS}, summary="添加安置点")
def create_site(request, payload: SiteIn):
    return Status(201, site_create(actor=request.auth, code=payload.code, name=payload.name, division=payload.division,
                                   placement=payload.placement, area_type=payload.area_type, capacity=payload.capacity))


@router.patch("/sites/{site_id}", response={200: SiteOut, 409: ErrorOut, **ERRORS}, summary="修改安置点")
def update_site(request, site_id: int, payload: SitePatch):
    site = selectors.access_site(request.auth, site_id)
    return site_update(actor=request.auth, site=site, **payload.dict(exclude_unset=True))
