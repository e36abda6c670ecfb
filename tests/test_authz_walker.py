"""Authorisation walker: every URL pattern and every API operation, anonymous / wrong role / out of scope.

The coverage tables below name each route of the project with a sample request, the permission that
guards it, a role that holds that permission and one that does not. `test_every_route_is_in_the_table`
fails as soon as a route is added without an entry, so a new page or endpoint cannot ship unchecked.

Expectations, for each entry:
  * anonymous: a web page redirects to /login/ (302); an API operation answers 401 JSON;
  * a role holding the permission gets through authorisation (no 401/403/404, no 5xx);
  * a role lacking the permission gets 403 (an error page, or {"code": "forbidden"} from the API);
  * for routes naming an object, the same object outside the actor's scope answers 404, as if unknown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from anju.accounts.roles import ROLES, Perm

from .conftest import DEMO_PASSWORD


@dataclass(frozen=True)
class Route:
    """How to exercise one route. `path` is formatted with the sample objects (in or out of scope)."""

    path: str
    method: str = "GET"
    perm: str | None = None  # None: open to every signed-in user
    allowed: str = "city_clerk"  # a role that may use the route
    denied: str | None = None  # a role lacking `perm`
    scoped: bool = False  # the path names an object: the out-of-scope variant must answer 404
    data: dict | None = None
    always: int | None = None  # the route answers this status to everybody (it protects nothing)


# Routes deliberately left out of the walk, with the reason.
EXEMPT = {
    "web:login": "the login form must be reachable anonymously",
    "web:login_totp": "second login step; without a pending login in the session it redirects to /login/",
    "web:logout": "POST-only; logging out is harmless for anyone, anonymous included",
    "set_language": "django.views.i18n.set_language: a cookie preference, open to anonymous users",
}
EXEMPT_PREFIXES = ("static/",)  # static files (whitenoise; a URL pattern only when DEBUG serves them)

# Web pages, by URL name.
WEB: dict[str, Route] = {
    "web:home": Route("/"),
    "accounts:me": Route("/accounts/me/"),
    "accounts:password": Route("/accounts/me/password/"),
    "accounts:totp": Route("/accounts/me/totp/"),
    "accounts:tokens": Route("/accounts/me/tokens/", perm=Perm.TOKENS_OWN, denied="sysadmin"),
    "accounts:token_revoke": Route("/accounts/me/tokens/{token_id}/revoke/", "POST", Perm.TOKENS_OWN,
                                   denied="auditadmin", scoped=True),
    "accounts:users": Route("/accounts/users/", perm=Perm.USERS_VIEW, allowed="sysadmin", denied="city_admin"),
    "accounts:user_create": Route("/accounts/users/new/", perm=Perm.USERS_MANAGE, allowed="sysadmin",
                                  denied="city_admin"),
    "accounts:user": Route("/accounts/users/{user_id}/", perm=Perm.USERS_VIEW, allowed="sysadmin",
                           denied="secadmin", scoped=True),
    "accounts:user_reset_password": Route("/accounts/users/{user_id}/password/", "POST", Perm.USERS_MANAGE,
                                          allowed="sysadmin", denied="city_admin", scoped=True),
    "accounts:security": Route("/accounts/security/", perm=Perm.SECURITY_MANAGE, allowed="secadmin",
                               denied="sysadmin"),
    "accounts:security_users": Route("/accounts/security/users/", perm=Perm.SECURITY_MANAGE, allowed="secadmin",
                                     denied="auditadmin"),
    "accounts:security_unlock": Route("/accounts/security/users/{user_id}/unlock/", "POST", Perm.SECURITY_MANAGE,
                                      allowed="secadmin", denied="sysadmin", scoped=True),
    "accounts:security_totp_reset": Route("/accounts/security/users/{user_id}/totp-reset/", "POST",
                                          Perm.SECURITY_MANAGE, allowed="secadmin", denied="city_admin",
                                          scoped=True),
    "divisions:list": Route("/divisions/", perm=Perm.DIVISIONS_VIEW, denied="auditadmin"),
    "divisions:load": Route("/divisions/load/", perm=Perm.DIVISIONS_LOAD, allowed="sysadmin", denied="city_admin"),
    "divisions:detail": Route("/divisions/{code}/", perm=Perm.DIVISIONS_VIEW, denied="secadmin", scoped=True),
    "divisions:children": Route("/divisions/{code}/children/", perm=Perm.DIVISIONS_VIEW, denied="auditadmin",
                                scoped=True),
    "audit:list": Route("/audit/", perm=Perm.AUDIT_VIEW, allowed="auditadmin", denied="city_admin"),
    "audit:export": Route("/audit/export/", "POST", Perm.AUDIT_EXPORT, allowed="auditadmin", denied="sysadmin"),
    "audit:verify": Route("/audit/verify/", "POST", Perm.AUDIT_VERIFY, allowed="auditadmin", denied="secadmin"),
    "audit:purge": Route("/audit/purge/", "POST", Perm.AUDIT_PURGE, allowed="auditadmin", denied="city_admin"),
    "jobs:list": Route("/jobs/"),
    "jobs:detail": Route("/jobs/{job_id}/", scoped=True),
    "jobs:status": Route("/jobs/{job_id}/status/", scoped=True),
    "jobs:download": Route("/jobs/{job_file}/download/", scoped=True),
    "api:openapi-json": Route("/api/v1/openapi.json"),
    "api:openapi-view": Route("/api/v1/docs"),
    # django-ninja's root view only serves to compute operation paths: it raises 404 for everyone.
    "api:api-root": Route("/api/v1/", always=404),
}

# API operations, by "METHOD path" exactly as in the OpenAPI schema.
API: dict[str, Route] = {
    "GET /api/v1/me": Route("/api/v1/me"),
    "GET /api/v1/users": Route("/api/v1/users", perm=Perm.USERS_VIEW, allowed="sysadmin", denied="city_admin"),
    "POST /api/v1/users": Route("/api/v1/users", perm=Perm.USERS_MANAGE, allowed="sysadmin", denied="city_admin",
                                data={"username": "walker_new", "password": DEMO_PASSWORD, "role": "county_clerk",
                                      "entry_scope": "429921"}),
    "GET /api/v1/users/{user_id}": Route("/api/v1/users/{user_id}", perm=Perm.USERS_VIEW, allowed="sysadmin",
                                         denied="city_clerk", scoped=True),
    "PATCH /api/v1/users/{user_id}": Route("/api/v1/users/{user_id}", perm=Perm.USERS_MANAGE, allowed="sysadmin",
                                           denied="auditadmin", scoped=True, data={"full_name": "改名"}),
    "GET /api/v1/tokens": Route("/api/v1/tokens", perm=Perm.TOKENS_OWN, denied="sysadmin"),
    "POST /api/v1/tokens": Route("/api/v1/tokens", perm=Perm.TOKENS_OWN, denied="secadmin", data={"name": "walker"}),
    "DELETE /api/v1/tokens/{token_id}": Route("/api/v1/tokens/{token_id}", perm=Perm.TOKENS_OWN, denied="auditadmin",
                                              scoped=True),
    "GET /api/v1/divisions": Route("/api/v1/divisions?parent={code}", perm=Perm.DIVISIONS_VIEW, denied="auditadmin",
                                   scoped=True),
    "GET /api/v1/divisions/{code}": Route("/api/v1/divisions/{code}", perm=Perm.DIVISIONS_VIEW, denied="secadmin",
                                          scoped=True),
    "GET /api/v1/divisions/{code}/children": Route("/api/v1/divisions/{code}/children", perm=Perm.DIVISIONS_VIEW,
                                                   denied="auditadmin", scoped=True),
    "GET /api/v1/audit/events": Route("/api/v1/audit/events", perm=Perm.AUDIT_VIEW, allowed="auditadmin",
                                      denied="city_admin"),
    "POST /api/v1/audit/exports": Route("/api/v1/audit/exports", perm=Perm.AUDIT_EXPORT, allowed="auditadmin",
                                        denied="city_clerk", data={}),
    "POST /api/v1/audit/verify": Route("/api/v1/audit/verify", perm=Perm.AUDIT_VERIFY, allowed="auditadmin",
                                       denied="sysadmin"),
    "POST /api/v1/audit/purge": Route("/api/v1/audit/purge", perm=Perm.AUDIT_PURGE, allowed="auditadmin",
                                      denied="secadmin"),
    "GET /api/v1/jobs": Route("/api/v1/jobs"),
    "GET /api/v1/jobs/{job_id}": Route("/api/v1/jobs/{job_id}", scoped=True),
    "GET /api/v1/jobs/{job_id}/file": Route("/api/v1/jobs/{job_file}/file", scoped=True),
}

# Each area of a later module keeps its routes in its own table module: WEB and API dicts like the ones
# above, and objects(users) -> (inside, outside), the sample objects its paths name.
ROUTE_MODULES = [
    "tests.registry.routes_registry",
    "tests.registry.routes_imports",
    "tests.registry.routes_requests",
    "tests.registry.routes_verification",
    "tests.registry.routes_crosschecks",
    "tests.imports.routes_aliases",
    "tests.relocation.routes_sites",
    "tests.relocation.routes_identification",
    "tests.relocation.routes_steps",
    "tests.relocation.routes_support",
    "tests.relocation.routes_imports",
    "tests.relocation.routes_metrics",
    "tests.relocation.routes_monitoring",
    "tests.relocation.routes_checks",
    "tests.relocation.routes_dashboards",
    "tests.subsidies.routes_policy",
    "tests.subsidies.routes_reference",
    "tests.subsidies.routes_batches",
    "tests.subsidies.routes_bankfiles",
    "tests.subsidies.routes_ledger",
    "tests.core.routes_inbox",
    "tests.projects.routes_projects",
    "tests.projects.routes_applications",
    "tests.projects.routes_funds",
    "tests.projects.routes_imports",
    "tests.projects.routes_rates",
    "tests.projects.routes_warnings",
    "tests.projects.routes_inspections",
    "tests.projects.routes_evaluations",
]


def _route_modules():
    import importlib

    return [importlib.import_module(name) for name in ROUTE_MODULES]


for _module in _route_modules():
    WEB.update(_module.WEB)
    API.update(_module.API)

ACTOR_ROLES = ("city_admin", "city_clerk", "sysadmin", "secadmin", "auditadmin", "leader", "finance", "auditor")


def _entries():
    for key, route in WEB.items():
        yield "web", key, route
    for key, route in API.items():
        yield "api", key, replace(route, method=key.split(" ", 1)[0])


ENTRIES = list(_entries())


# --- discovery --------------------------------------------------------------------------------------

def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield name, prefix + str(p.pattern)


def _api_operations() -> set[str]:
    from anju.api import api

    schema = api.get_openapi_schema()
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def _as_template(route: str) -> str:
    """'api/v1/users/<int:user_id>' -> '/api/v1/users/{user_id}' (the OpenAPI spelling)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_route_is_in_the_table():
    operations = _api_operations()
    operation_paths = {op.split(" ", 1)[1] for op in operations}
    web_names, unnamed, api_pattern_paths = set(), [], set()
    for name, route in _walk(get_resolver()):
        if route.startswith(EXEMPT_PREFIXES):
            continue
        if _as_template(route) in operation_paths:
            api_pattern_paths.add(_as_template(route))
        elif not name:
            unnamed.append(route)
        else:
            web_names.add(name)
    assert not unnamed, f"URL patterns without a name cannot be tracked: {unnamed}"
    assert api_pattern_paths == operation_paths, "every API URL pattern appears in the OpenAPI schema"

    discovered = web_names - set(EXEMPT)
    missing = sorted(discovered - set(WEB))
    stale = sorted(set(WEB) - discovered)
    assert not missing, f"web routes without an entry in WEB (add one): {missing}"
    assert not stale, f"WEB entries for routes that no longer exist: {stale}"
    assert set(EXEMPT) <= web_names, f"exempt routes that no longer exist: {sorted(set(EXEMPT) - web_names)}"

    missing = sorted(operations - set(API))
    stale = sorted(set(API) - operations)
    assert not missing, f"API operations without an entry in API (add one): {missing}"
    assert not stale, f"API entries for operations that no longer exist: {stale}"


class _Samples(dict):
    """Sample values for resolving paths; any other placeholder (an integer id) is 1."""

    def __missing__(self, key):
        return 1


def test_table_is_consistent_with_roles():
    """The table's roles really hold / lack the permission it names, and web sample paths hit their route."""
    problems = []
    for kind, key, route in ENTRIES:
        if route.perm and route.perm not in ROLES[route.allowed].perms:
            problems.append(f"{key}: allowed role {route.allowed} lacks {route.perm}")
        if route.perm and route.denied is None:
            problems.append(f"{key}: guarded by {route.perm} but no denied role given")
        if route.denied and route.perm in ROLES[route.denied].perms:
            problems.append(f"{key}: denied role {route.denied} holds {route.perm}")
        if kind == "web":
            sample = route.path.format_map(_Samples(code="4299", user_id=1, token_id=1,
                                                    job_id="00000000-0000-0000-0000-000000000000",
                                                    job_file="00000000-0000-0000-0000-000000000000"))
            match = resolve(sample.split("?")[0])
            if match.view_name != key:
                problems.append(f"{key}: sample path {sample} resolves to {match.view_name}")
    assert not problems, "\n".join(problems)


# --- the walk ----------------------------------------------------------------------------------------

@pytest.fixture
def world(make_user, other_city, login, api_token):
    """Actors of each role in 清江市 (4299), sample objects in scope and their out-of-scope twins."""
    from django.test import Client

    from anju.accounts.services import token_create
    from anju.core.jobs import job_create_inline, result_path
    from anju.core.models import Job

    users = {role: make_user(role, "4299", username=f"w_{role}") for role in ACTOR_ROLES}
    target = make_user("county_clerk", "429921", username="w_target")
    foreign = make_user("county_clerk", "429821", username="w_foreign")
    clerk = users["city_clerk"]

    own_job = job_create_inline(actor=None, kind="audit.verify", division_code="429900000000")
    file_job = job_create_inline(actor=None, kind="audit.export", division_code="429900000000")
    path = result_path(file_job, "walker.xlsx")
    path.write_bytes(b"PK\x03\x04walker")
    file_job.state = Job.State.SUCCEEDED
    file_job.save()
    Job.objects.filter(pk__in=[own_job.pk, file_job.pk]).update(created_by=clerk)
    others_job = job_create_inline(actor=users["auditadmin"], kind="audit.verify")  # same city, another user

    inside = {
        "code": "429921", "user_id": target.pk, "token_id": token_create(actor=clerk, name="to-revoke", days=30)[0].pk,
        "job_id": own_job.pk, "job_file": file_job.pk,
    }
    outside = {
        "code": "429821", "user_id": foreign.pk, "token_id": token_create(actor=foreign, name="theirs", days=30)[0].pk,
        "job_id": others_job.pk, "job_file": others_job.pk,
    }

    for module in _route_modules():
        extra_inside, extra_outside = module.objects(users)
        inside.update(extra_inside)
        outside.update(extra_outside)

    web = {role: login(user) for role, user in users.items()}
    api = {}
    for role, user in users.items():
        if user.can(Perm.TOKENS_OWN):
            api[role] = Client(HTTP_AUTHORIZATION=f"Bearer {api_token(user)}")
        else:
            api[role] = web[role]  # roles behind a second factor hold no API tokens; they use their session

    return {"web": web, "api": api, "inside": inside, "outside": outside, "users": users, "foreign": foreign}


def _call(client, route: Route, objects: dict):
    path = route.path.format(**objects)
    method = route.method.lower()
    if route.data is not None and route.method in ("POST", "PATCH", "PUT") and path.startswith("/api/"):
        return getattr(client, method)(path, data=json.dumps(route.data), content_type="application/json")
    if route.method == "POST":
        return client.post(path, data=route.data or {})
    return getattr(client, method)(path)


def _describe(kind, key, route, who, response) -> str:
    body = response.content[:200].decode(errors="replace") if not getattr(response, "streaming", False) else ""
    return f"[{kind}] {key} {route.method} as {who}: got {response.status_code} {body!r}"


def _json(response) -> dict:
    try:
        return json.loads(response.content)
    except ValueError:
        return {}


def test_anonymous_is_sent_to_login_or_gets_401(world):
    from django.test import Client

    anonymous, bogus = Client(), Client(HTTP_AUTHORIZATION="Bearer anju_deadbeef_notatoken")
    failures = []
    for kind, key, route in ENTRIES:
        response = _call(anonymous, route, world["inside"])
        if route.always is not None:
            ok = response.status_code == route.always
        elif kind == "web":
            ok = response.status_code == 302 and response.url.startswith("/login/")
        else:
            ok = response.status_code == 401 and _json(response).get("code") == "unauthenticated"
            bad = _call(bogus, route, world["inside"])
            if not (bad.status_code == 401 and _json(bad).get("code") == "unauthenticated"):
                failures.append(_describe(kind, key, route, "a bogus bearer token", bad))
        if not ok:
            failures.append(_describe(kind, key, route, "anonymous", response))
    assert not failures, "\n".join(failures)


def test_role_with_permission_gets_through(world):
    failures = []
    for kind, key, route in ENTRIES:
        response = _call(world[kind][route.allowed], route, world["inside"])
        ok = response.status_code == route.always if route.always else (
            response.status_code < 500 and response.status_code not in (401, 403, 404))
        if not ok:
            failures.append(_describe(kind, key, route, route.allowed, response))
    assert not failures, "\n".join(failures)


def test_role_without_permission_gets_403(world):
    failures = []
    for kind, key, route in ENTRIES:
        if route.denied is None:
            continue
        response = _call(world[kind][route.denied], route, world["inside"])
        ok = response.status_code == 403
        if kind == "api":
            ok = ok and _json(response).get("code") in ("forbidden", "http_error")
        if not ok:
            failures.append(_describe(kind, key, route, route.denied, response))
    assert not failures, "\n".join(failures)


def test_object_outside_scope_is_404(world):
    failures = []
    for kind, key, route in ENTRIES:
        if not route.scoped:
            continue
        response = _call(world[kind][route.allowed], route, world["outside"])
        ok = response.status_code == 404
        if kind == "api":
            ok = ok and _json(response).get("code") == "not_found"
        if not ok:
            failures.append(_describe(kind, key, route, route.allowed, response))
    assert not failures, "\n".join(failures)


def test_jobs_view_all_stops_at_the_scope_and_at_kinds_the_role_may_not_run(world):
    """A 系统管理员 sees others' jobs in the city of kinds it may run (divisions.load), not another city's,
    and not an audit export of the 审计管理员 (三员分立)."""
    from anju.core.jobs import job_create_inline
    from anju.core.models import Job

    theirs = job_create_inline(actor=None, kind="divisions.load", division_code="429900000000")
    elsewhere = job_create_inline(actor=None, kind="divisions.load", division_code="429800000000")
    Job.objects.filter(pk=theirs.pk).update(created_by=world["users"]["city_clerk"])
    Job.objects.filter(pk=elsewhere.pk).update(created_by=world["foreign"])
    audit_job = world["outside"]["job_id"]  # audit.verify by the 审计管理员, same city
    web, api = world["web"]["sysadmin"], world["api"]["sysadmin"]
    assert web.get(f"/jobs/{theirs.pk}/").status_code == 200
    assert api.get(f"/api/v1/jobs/{theirs.pk}").status_code == 200
    for job_id in (elsewhere.pk, audit_job):
        assert web.get(f"/jobs/{job_id}/").status_code == 404
        assert web.get(f"/jobs/{job_id}/status/").status_code == 404
        assert api.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert world["web"]["city_admin"].get(f"/jobs/{audit_job}/").status_code == 404


NUL_QUERY = "&".join(f"{name}=a%00" for name in (
    "q", "role", "active", "division", "level", "parent", "state", "kind", "username", "action", "outcome",
    "date_from", "date_to", "locked", "page", "limit", "offset"))


def test_nul_in_query_is_never_a_server_error(world):
    """PostgreSQL text cannot hold NUL (0x00): every GET route, given NULs in any filter, answers below 500."""
    failures = []
    for kind, key, route in ENTRIES:
        if route.method != "GET" or route.always:
            continue
        path = route.path.format(**world["inside"])
        url = f"{path}{'&' if '?' in path else '?'}{NUL_QUERY}"
        try:
            response = world[kind][route.allowed].get(url)
        except Exception as exc:  # the test client re-raises the view's exception
            failures.append(f"[{kind}] {key}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code >= 500:
            failures.append(_describe(kind, key, route, route.allowed, response))
    assert not failures, "\n".join(failures)
