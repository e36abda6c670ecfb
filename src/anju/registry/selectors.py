"""Registry reads, always scoped to the actor: search, one household or person, members and statuses as of a
date, the roster as of a date, timelines, reservoirs; and the audited reveal of a full ID or bank account.

Search must stay fast at a million persons: a name prefix is a range on the (name, division_code) index, a
resident ID is one probe of the unique blind index, a household number a range on (county_code, number); a
result never counts more than CAP + 1 rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import blind_index, decrypt
from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.masking import mask_phone
from anju.divisions.codes import full_code, prefix_of
from anju.divisions.models import PREFIX_LENGTH, Division, Level
from anju.divisions.selectors import division_names
from anju.registry.models import (
    ChangeRequest,
    Enrolment,
    EnrolmentStatus,
    History,
    Household,
    Membership,
    Person,
    Program,
    Reservoir,
    Status,
)
from anju.registry.resident_id import normalise, upgrade_15

CAP = 1000  # a search counts at most this many rows (and one more, to say "more than")
NAME_END = "\U0010ffff"  # after every character a name may continue with, rare (supplementary) ones included

MSG_DIVISION_FORMAT = gettext_lazy("区划代码应为 2、4、6、9 或 12 位数字")
MSG_PROGRAM = gettext_lazy("未知的项目类别：%(value)s")
MSG_STATUS = gettext_lazy("未知的状态：%(value)s")
MSG_REVEAL_FIELD = gettext_lazy("只能查看完整的身份证号（id_number）或银行账号（bank_account）")
MSG_NO_BANK_ACCOUNT = gettext_lazy("此人没有登记银行账号")

REVEAL_FIELDS = ("id_number", "bank_account")


def prefix_upper(text: str) -> str:
    """The least string above every string starting with `text`, in code-point order (SQLite's BINARY and
    PostgreSQL's C collation): the last character incremented, so "王" gives "玌". A plain string bound keeps the
    planner's row estimate right (an appended U+10FFFF made PostgreSQL guess a handful of rows and sort them all)."""
    for cut in range(len(text), 0, -1):
        code = ord(text[cut - 1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not characters
            code = 0xE000
        if code <= 0x10FFFF:
            return text[: cut - 1] + chr(code)
    return text + NAME_END


def prefix_q(field: str, text: str) -> Q:
    """Values of `field` that start with `text`, as an index range (no LIKE)."""
    return Q(**{f"{field}__gte": text, f"{field}__lt": prefix_upper(text)})


def today() -> dt.date:
    return timezone.localdate()


# --- scope helpers -----------------------------------------------------------------------------------

def search_prefix(actor, division: str | None) -> str | None:
    """The division-code prefix a search looks in: the actor's view scope, narrowed by `division`.

    None when `division` lies outside the scope (the search then finds nothing)."""
    prefix = actor.view_prefix
    if not division:
        return prefix
    try:
        wanted = prefix_of(full_code(division))
    except ValueError:
        raise ValidationFailed(MSG_DIVISION_FORMAT, code="division_invalid", detail={"field": "division"}) from None
    if wanted.startswith(prefix):
        return wanted
    if prefix.startswith(wanted):
        return prefix
    return None


def _county_codes(prefix: str) -> list[str]:
    """The 6-digit county codes under a prefix (for the household (county_code, number) index)."""
    if len(prefix) >= PREFIX_LENGTH[Level.COUNTY]:
        return [prefix[:6]]
    codes = Division.objects.filter(code_prefix_q("code", prefix), level=Level.COUNTY).values_list("code", flat=True)
    return [c[:6] for c in codes]


def scope_or_ancestors_q(actor, field: str = "division_code") -> Q:
    """Reference rows (reservoirs, sites) the actor may read: inside the view scope, or attached to a division
    that contains it (a township clerk sees the county's reservoirs)."""
    prefix = actor.view_prefix
    ancestors = [prefix[:n].ljust(12, "0") for n in PREFIX_LENGTH.values() if n < len(prefix)]
    return code_prefix_q(field, prefix) | Q(**{f"{field}__in": ancestors})


def _check_program(program: str | None) -> str | None:
    if program and program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM % {"value": program}, code="program_invalid", detail={"field": "program"})
    return program or None


def _check_status(status: str | None) -> str | None:
    if status and status not in Status.values:
        raise ValidationFailed(MSG_STATUS % {"value": status}, code="status_invalid", detail={"field": "status"})
    return status or None


def covering(as_of: dt.date, prefix: str = "") -> Q:
    """Periods [valid_from, valid_to) that contain the day `as_of` (valid_to NULL: still open)."""
    return Q(**{f"{prefix}valid_from__lte": as_of}) & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": as_of}))


# --- capped results ----------------------------------------------------------------------------------

class Capped:
    """A result list that slices in the database and counts at most CAP + 1 rows, never the whole table
    (`cap=None`: an exact count, for the roster whose size is the point).

    Works with Django's Paginator (count() and slicing) and ninja's paginator (all().count() and slicing).
    `decorate` receives each sliced page (a list) and may attach display attributes to its items."""

    def __init__(self, queryset, decorate=None, cap: int | None = CAP, count_values: tuple[str, ...] = ()):
        self.queryset, self.decorate, self.cap = queryset, decorate, cap
        self.count_values = count_values  # columns the count reads: with indexed ones, an index-only scan
        self._count: int | None = None

    def all(self):
        return self

    def _raw_count(self) -> int:
        if self._count is None:
            if self.queryset is None:
                self._count = 0
            elif self.cap is None:
                self._count = self.queryset.order_by().count()
            else:
                counted = self.queryset.order_by()
                if self.count_values:
                    counted = counted.values(*self.count_values)
                self._count = counted[: self.cap + 1].count()
        return self._count

    def count(self) -> int:
        return self._raw_count() if self.cap is None else min(self._raw_count(), self.cap)

    @property
    def more(self) -> bool:
        """More rows match than are counted: the user should narrow the search."""
        return self.cap is not None and self._raw_count() > self.cap

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window):
        if self.queryset is None:
            return [] if isinstance(window, slice) else None
        if isinstance(window, slice):
            start, stop = window.start or 0, window.stop
            if self.cap is not None:
                stop = min(stop if stop is not None else self.cap, self.cap)
            items = list(self.queryset[start:stop]) if stop is None or start < stop else []
        else:
            items = [self.queryset[window]]
        if self.decorate and items:
            self.decorate(items)
        return items if isinstance(window, slice) else items[0]

    def __iter__(self):
        return iter(self[0: self.cap])


# --- search ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    kind: str  # "id", "name", "household", "" (no text)
    text: str


def _has_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def classify(q: str) -> Query:
    """What a search text is: a resident ID (18 or 15 digits, full-width or lowercase x accepted), a name
    (contains Chinese characters) or a household number (anything else)."""
    text = (q or "").strip()
    if not text:
        return Query("", "")
    number = normalise(text)
    if len(number) == 15 and number.isdigit():
        return Query("id", upgrade_15(number))
    if len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X"):
        return Query("id", number)
    if _has_cjk(text):
        return Query("name", "".join(text.split()))
    return Query("household", text)


def _enrolment_filter(program, status, as_of):
    """EXISTS conditions on a person's enrolments for the program/status filters (None when not filtering)."""
    if not (program or status):
        return None
    if as_of is not None:
        periods = EnrolmentStatus.objects.filter(covering(as_of), enrolment__person=OuterRef("pk"))
        if program:
            periods = periods.filter(enrolment__program=program)
        if status:
            periods = periods.filter(status=status)
        return Exists(periods)
    enrolments = Enrolment.objects.filter(person=OuterRef("pk"))
    if program:
        enrolments = enrolments.filter(program=program)
    if status:
        enrolments = enrolments.filter(status=status)
    return Exists(enrolments)


def _households_by_number(prefix: str, text: str) -> QuerySet[Household]:
    """Households whose number starts with `text`, on the unique (county_code, number) index: the scope is the
    list of counties, plus the division range only below county level (a range over a whole city would lead the
    planner to the division index instead)."""
    qs = Household.objects.filter(prefix_q("number", text), county_code__in=_county_codes(prefix))
    if len(prefix) > PREFIX_LENGTH[Level.COUNTY]:
        qs = qs.filter(code_prefix_q("division_code", prefix))
    return qs


def person_search(*, actor, q: str = "", program: str | None = None, division: str | None = None, status: str | None = None,
                  as_of: dt.date | None = None) -> Capped:
    """Persons in the actor's view scope matching `q` (name prefix, resident ID or household number) and the
    filters; masked fields only. Items carry `household`, `relation`, `village`, `enrolment_rows` for display."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    program, status = _check_program(program), _check_status(status)
    prefix = search_prefix(actor, division)
    if prefix is None:
        return Capped(None)
    query = classify(q)
    qs = Person.objects.all()
    if query.kind == "id":
        qs = qs.filter(id_hash=blind_index(query.text))
    elif query.kind == "household":
        households = list(_households_by_number(prefix, query.text).values_list("id", flat=True)[: CAP + 1])
        members = Membership.objects.filter(covering(as_of or today()), household_id__in=households)
        if not households:  # not a household number after all: a latin or pinyin name
            qs = qs.filter(prefix_q("name", query.text))
        else:
            qs = qs.filter(pk__in=members.values("person_id"))
    elif query.kind == "name":
        qs = qs.filter(prefix_q("name", query.text))
    qs = qs.filter(code_prefix_q("division_code", prefix))
    condition = _enrolment_filter(program, status, as_of)
    if condition is not None:
        qs = qs.filter(condition)
    order = ("name", "division_code", "id") if query.kind == "name" else ("division_code", "id")
    qs = qs.order_by(*order).only("id", "name", "id_masked", "gender", "birth_date", "division_code")
    return Capped(qs, decorate=lambda page: decorate_persons(page, as_of=as_of, program=program), count_values=("name", "division_code"))


def decorate_persons(persons: list[Person], *, as_of: dt.date | None = None, program: str | None = None) -> None:
    """Attach the household, relation, village name and enrolments (status as of the date) to a page of persons:
    three queries for the page, whatever its size."""
    day = as_of or today()
    ids = [p.pk for p in persons]
    memberships = {m.person_id: m for m in Membership.objects.filter(covering(day), person_id__in=ids).select_related("household")}
    rows: dict[int, list] = defaultdict(list)
    enrolments = Enrolment.objects.filter(person_id__in=ids).order_by("person_id", "program")
    if program:
        enrolments = enrolments.filter(program=program)
    enrolments = list(enrolments.only("id", "person_id", "program", "status", "household_id"))
    statuses = _statuses_on([e.pk for e in enrolments], as_of) if as_of else {}
    for e in enrolments:
        e.status_as_of = statuses.get(e.pk) if as_of else e.status
        rows[e.person_id].append(e)
    names = division_names({p.division_code for p in persons})
    for p in persons:
        m = memberships.get(p.pk)
        p.household = m.household if m else None
        p.relation = m.relation if m else ""
        p.village = names.get(p.division_code, p.division_code)
        p.enrolment_rows = [{"program": e.program, "program_label": e.get_program_display(), "status": e.status_as_of,
                             "status_label": Status(e.status_as_of).label if e.status_as_of else ""} for e in rows[p.pk]]


def _statuses_on(enrolment_ids: list[int], as_of: dt.date) -> dict[int, str]:
    periods = EnrolmentStatus.objects.filter(covering(as_of), enrolment_id__in=enrolment_ids).order_by("valid_from", "id")
    return {enrolment_id: status for enrolment_id, status in periods.values_list("enrolment_id", "status")}


def household_search(*, actor, q: str = "", division: str | None = None) -> Capped:
    """Households in scope by number prefix, or (a name or an ID) the households of the matching persons."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    prefix = search_prefix(actor, division)
    if prefix is None:
        return Capped(None)
    query = classify(q)
    if query.kind == "household":
        qs = _households_by_number(prefix, query.text).order_by("county_code", "number")
    elif query.kind in ("name", "id"):
        persons = person_search(actor=actor, q=q, division=division).queryset.values_list("id", flat=True)[: CAP + 1]
        qs = Household.objects.filter(code_prefix_q("division_code", prefix), memberships__in=Membership.objects.filter(
            covering(today()), person_id__in=list(persons))).distinct().order_by("county_code", "number")
    else:
        qs = Household.objects.filter(code_prefix_q("division_code", prefix)).order_by("division_code", "id")
    return Capped(qs.select_related("head"), decorate=_decorate_households)


def _decorate_households(households: list[Household]) -> None:
    names = division_names({h.division_code for h in households})
    for h in households:
        h.village = names.get(h.division_code, h.division_code)


# --- one household / person --------------------------------------------------------------------------

def access_person(actor, person_id: int) -> Person:
    """One person in the actor's view scope, or NotFound (also for persons outside it)."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not in_scope(actor, person.division_code):
        raise NotFound()
    return person


def access_household(actor, household_id: int) -> Household:
    require_perm(actor, Perm.REGISTRY_VIEW)
    household = Household.objects.filter(pk=household_id).select_related("head").first()
    if household is None or not in_scope(actor, household.division_code):
        raise NotFound()
    return household


def household_members(household: Household, as_of: dt.date | None = None) -> list[Membership]:
    """Members on the day (membership periods covering it), head first."""
    day = as_of or today()
    members = list(Membership.objects.filter(covering(day), household=household).select_related("person").order_by("valid_from", "id"))
    members.sort(key=lambda m: m.person_id != household.head_id)
    return members


def person_membership(person: Person, as_of: dt.date | None = None) -> Membership | None:
    return Membership.objects.filter(covering(as_of or today()), person=person).select_related("household").first()


def person_memberships(person: Person) -> list[Membership]:
    return list(Membership.objects.filter(person=person).select_related("household").order_by("valid_from", "id"))


def _with_status(enrolments: list[Enrolment], as_of: dt.date | None) -> list[Enrolment]:
    day = as_of or today()
    periods: dict[int, list[EnrolmentStatus]] = defaultdict(list)
    for p in EnrolmentStatus.objects.filter(enrolment_id__in=[e.pk for e in enrolments]).order_by("valid_from", "id"):
        periods[p.enrolment_id].append(p)
    for e in enrolments:
        e.periods_list = periods[e.pk]
        e.period_as_of = next((p for p in e.periods_list if p.valid_from <= day and (p.valid_to is None or p.valid_to > day)), None)
        e.status_as_of = e.period_as_of.status if e.period_as_of else None
        e.status_as_of_label = e.period_as_of.get_status_display() if e.period_as_of else ""
    return enrolments


def person_enrolments(person: Person, as_of: dt.date | None = None) -> list[Enrolment]:
    """The person's enrolments, each with `status_as_of` (the status period in force on the day; None when the
    person was not enrolled then) and `periods_list` (all status periods)."""
    enrolments = list(Enrolment.objects.filter(person=person).select_related("reservoir", "site", "household").order_by("program"))
    return _with_status(enrolments, as_of)


def household_enrolments(household: Household, as_of: dt.date | None = None) -> list[Enrolment]:
    enrolments = list(Enrolment.objects.filter(household=household).select_related("person", "reservoir", "site")
                      .order_by("program", "person_id"))
    return _with_status(enrolments, as_of)


# --- roster as of a date -----------------------------------------------------------------------------

def roster(*, actor, program: str, as_of: dt.date | None = None, division: str | None = None,
           status: str | None = Status.ACTIVE) -> Capped:
    """The roster on a day as one query: status periods covering the day joined to their enrolment, person and
    household, in the actor's scope (narrowed by `division`). `status=None` lists every status. Pages get the
    relation to the head on the day and the village name (two more queries per page); the count is exact."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    program = _check_program(program) or Program.RESERVOIR
    status = _check_status(status)
    prefix = search_prefix(actor, division)
    if prefix is None:
        return Capped(None, cap=None)
    day = as_of or today()
    qs = EnrolmentStatus.objects.filter(covering(day), code_prefix_q("enrolment__division_code", prefix),
                                        enrolment__program=program)
    if status:
        qs = qs.filter(status=status)
    qs = qs.select_related("enrolment", "enrolment__person", "enrolment__household", "enrolment__reservoir", "enrolment__site") \
           .order_by("enrolment__division_code", "enrolment__household__number", "enrolment_id")
    return Capped(qs, decorate=lambda rows: decorate_roster(rows, day), cap=None)


def decorate_roster(rows: list[EnrolmentStatus], as_of: dt.date | None = None) -> None:
    """Relation to the head on the day and the village name for a page of roster rows."""
    day = as_of or today()
    person_ids = [r.enrolment.person_id for r in rows]
    relations = dict(Membership.objects.filter(covering(day), person_id__in=person_ids).values_list("person_id", "relation"))
    names = division_names({r.enrolment.division_code for r in rows})
    for r in rows:
        r.relation = relations.get(r.enrolment.person_id, "")
        r.village = names.get(r.enrolment.division_code, r.enrolment.division_code)


# --- timelines ---------------------------------------------------------------------------------------

def _field_labels() -> dict[str, str]:
    labels = {}
    for model in (Enrolment, Household, Person):
        for f in model._meta.get_fields():
            if hasattr(f, "verbose_name"):
                labels[f.name] = str(f.verbose_name)
    labels.update({"id_number": labels.get("id_masked", ""), "bank_account": labels.get("bank_account_masked", "")})
    return labels


def _history_event(h: History, labels: dict[str, str]) -> dict:
    old, new = (mask_phone(h.old), mask_phone(h.new)) if h.field == "phone" else (h.old, h.new)  # IDs and accounts are stored masked
    return {"kind": "history", "date": h.effective_on, "at": h.at, "title": labels.get(h.field, h.field), "field": h.field,
            "old": old, "new": new, "source": h.get_source_display(), "request_id": h.request_id,
            "actor": h.actor.get_username() if h.actor_id else "", "person": h.person.name if h.person_id else ""}


def _status_event(p: EnrolmentStatus) -> dict:
    return {"kind": "status", "date": p.valid_from, "at": None, "title": p.enrolment.get_program_display(), "field": "status",
            "old": "", "new": p.get_status_display(), "status": p.status, "until": p.valid_to, "cause": p.get_cause_display() if p.cause else "",
            "note": p.note, "source": "", "request_id": p.request_id, "actor": "", "person": p.enrolment.person.name}


def _request_event(r: ChangeRequest) -> dict:
    return {"kind": "request", "date": r.effective_on or timezone.localdate(r.created_at), "at": r.created_at,
            "title": r.get_kind_display(), "field": r.field, "old": "", "new": r.get_state_display(), "state": r.state,
            "source": r.get_source_display(), "request_id": r.pk, "actor": r.created_by.get_username() if r.created_by_id else "",
            "person": r.person.name if r.person_id else "", "cause": r.get_cause_display() if r.cause else "", "note": r.reason}


def _membership_events(memberships) -> list[dict]:
    events = []
    for m in memberships:
        events.append({"kind": "membership", "date": m.valid_from, "at": None, "title": gettext("加入户"),
                       "field": "household", "old": "", "new": f"{m.household.number}（{m.relation}）", "source": "", "request_id": None,
                       "actor": "", "person": m.person.name, "household_id": m.household_id})
        if m.valid_to:
            events.append({"kind": "membership", "date": m.valid_to, "at": None, "title": gettext("离开户"),
                           "field": "household", "old": f"{m.household.number}（{m.relation}）", "new": "", "source": "",
                           "request_id": None, "actor": "", "person": m.person.name, "household_id": m.household_id})
    return events


def _sorted(events: list[dict]) -> list[dict]:
    epoch = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    return sorted(events, key=lambda e: (e["date"], e["at"] or epoch), reverse=True)


def person_timeline(person: Person) -> list[dict]:
    """What happened to a person, newest first: field changes, status periods, household moves, change requests."""
    labels = _field_labels()
    history = History.objects.filter(Q(person=person) | Q(enrolment__person=person)).select_related("actor", "person")
    periods = EnrolmentStatus.objects.filter(enrolment__person=person).select_related("enrolment__person")
    requests = ChangeRequest.objects.filter(person=person).select_related("created_by", "person")
    memberships = Membership.objects.filter(person=person).select_related("household", "person")
    return _sorted([_history_event(h, labels) for h in history] + [_status_event(p) for p in periods]
                   + [_request_event(r) for r in requests] + _membership_events(memberships))


def household_timeline(household: Household) -> list[dict]:
    """What happened to a household and everyone who ever belonged to it, newest first."""
    labels = _field_labels()
    member_ids = list(Membership.objects.filter(household=household).values_list("person_id", flat=True))
    history = History.objects.filter(Q(household=household) | Q(person_id__in=member_ids) | Q(enrolment__household=household)) \
                             .select_related("actor", "person")
    periods = EnrolmentStatus.objects.filter(enrolment__household=household).select_related("enrolment__person")
    requests = ChangeRequest.objects.filter(Q(household=household) | Q(person_id__in=member_ids)).select_related("created_by", "person")
    memberships = Membership.objects.filter(household=household).select_related("household", "person")
    return _sorted([_history_event(h, labels) for h in history.distinct()] + [_status_event(p) for p in periods]
                   + [_request_event(r) for r in requests.distinct()] + _membership_events(memberships))


# --- PII reveal (an audited read) --------------------------------------------------------------------

def person_reveal(*, actor, person: Person, field: str) -> str:
    """The full resident ID or bank account of a person in scope, for an actor holding REGISTRY_VIEW_PII.

    Writes `registry.person.revealed` naming the field (never the value)."""
    require_perm(actor, Perm.REGISTRY_VIEW_PII)
    if not in_scope(actor, person.division_code):
        raise NotFound()
    if field not in REVEAL_FIELDS:
        raise ValidationFailed(MSG_REVEAL_FIELD, code="reveal_field", detail={"field": "field"})
    enrolment = None
    if field == "id_number":
        value = decrypt(person.id_enc)
    else:
        enrolment = Enrolment.objects.filter(person=person).exclude(bank_account_enc="").order_by("program").first()
        if enrolment is None:
            raise ValidationFailed(MSG_NO_BANK_ACCOUNT, code="no_bank_account", detail={"field": "field"})
        value = decrypt(enrolment.bank_account_enc)
    with transaction.atomic():
        audit_record(actor=actor, action="registry.person.revealed", object_type="person", object_id=person.pk,
                     division_code=person.division_code, after={"field": field, "enrolment": enrolment.pk if enrolment else None})
    return value


# --- reservoirs --------------------------------------------------------------------------------------

def reservoir_list(*, actor, q: str = "") -> QuerySet[Reservoir]:
    require_perm(actor, Perm.REGISTRY_VIEW)
    qs = Reservoir.objects.filter(scope_or_ancestors_q(actor))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return qs.order_by("division_code", "code")


def access_reservoir(actor, reservoir_id: int) -> Reservoir:
    require_perm(actor, Perm.REGISTRY_VIEW)
    reservoir = Reservoir.objects.filter(scope_or_ancestors_q(actor), pk=reservoir_id).first()
    if reservoir is None:
        raise NotFound()
    return reservoir
