"""Authorisation-walker routes of the projects' applications area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

W = "/projects/planning"
WP = W + "/plans/{ap_plan_id}"
WG = W + "/guidelines/{ap_guideline_id}"
WA = W + "/applications/{ap_application_id}"
WD = W + "/applications/{ap_draft_id}"
A = "/api/v1/projects/planning"
AP = A + "/plans/{ap_plan_id}"
AG = A + "/guidelines/{ap_guideline_id}"
AA = A + "/applications/{ap_application_id}"
AD = A + "/applications/{ap_draft_id}"

# Sample objects (objects() below): a draft city plan with a project in it, a draft city guideline and a published one,
# an application under review submitted by a county clerk (so the city clerk may score and decide it), a draft
# application, and drafts to delete. Routes run in table order on the same objects: the web publish, close, return and
# submit come first, so later calls answer 409/422 or a redirect with a message — past authorisation either way.
MANAGE, VIEW, EDIT, REVIEW = Perm.PROJECT_MANAGE, Perm.PROJECT_VIEW, Perm.PROJECT_EDIT, Perm.PROJECT_REVIEW

WEB: dict = {
    "projects_applications:plan_list": Route(W + "/plans/", perm=VIEW, denied="sysadmin"),
    "projects_applications:plan_new": Route(W + "/plans/new/", perm=MANAGE, denied="leader"),
    "projects_applications:plan_detail": Route(WP + "/", perm=VIEW, denied="auditadmin", scoped=True),
    "projects_applications:plan_edit": Route(WP + "/edit/", perm=MANAGE, denied="finance", scoped=True),
    "projects_applications:plan_targets": Route(WP + "/targets/", perm=MANAGE, denied="auditor", scoped=True),
    "projects_applications:plan_assign": Route(WP + "/projects/", perm=MANAGE, denied="leader", scoped=True),
    "projects_applications:plan_project_remove": Route(WP + "/projects/{ap_project_id}/remove/", "POST", MANAGE, denied="finance",
                                                       scoped=True),
    "projects_applications:plan_report": Route(WP + "/report/", perm=VIEW, denied="secadmin", scoped=True),
    "projects_applications:plan_report_export": Route(WP + "/report/export/", perm=VIEW, denied="sysadmin", scoped=True),
    "projects_applications:plan_publish": Route(WP + "/publish/", "POST", MANAGE, denied="leader", scoped=True),
    "projects_applications:plan_close": Route(WP + "/close/", "POST", MANAGE, denied="auditor", scoped=True),
    "projects_applications:plan_delete": Route(W + "/plans/{ap_plan_del_id}/delete/", "POST", MANAGE, denied="finance", scoped=True),
    "projects_applications:guideline_list": Route(W + "/guidelines/", perm=VIEW, denied="auditadmin"),
    "projects_applications:guideline_new": Route(W + "/guidelines/new/", perm=MANAGE, denied="leader"),
    "projects_applications:guideline_detail": Route(WG + "/", perm=VIEW, denied="sysadmin", scoped=True),
    "projects_applications:guideline_edit": Route(WG + "/edit/", perm=MANAGE, denied="finance", scoped=True),
    "projects_applications:guideline_publish": Route(WG + "/publish/", "POST", MANAGE, denied="auditor", scoped=True),
    "projects_applications:guideline_close": Route(WG + "/close/", "POST", MANAGE, denied="leader", scoped=True),
    "projects_applications:guideline_delete": Route(W + "/guidelines/{ap_guideline_del_id}/delete/", "POST", MANAGE, denied="finance",
                                                    scoped=True),
    "projects_applications:guideline_ranking": Route(W + "/guidelines/{ap_published_id}/ranking/", perm=VIEW, denied="secadmin",
                                                     scoped=True),
    "projects_applications:guideline_ranking_export": Route(W + "/guidelines/{ap_published_id}/ranking/export/", perm=VIEW,
                                                            denied="auditadmin", scoped=True),
    "projects_applications:application_list": Route(W + "/applications/", perm=VIEW, denied="sysadmin"),
    "projects_applications:application_new": Route(W + "/applications/new/", perm=EDIT, denied="city_admin"),
    "projects_applications:application_detail": Route(WA + "/", perm=VIEW, denied="auditadmin", scoped=True),
    "projects_applications:application_edit": Route(WD + "/edit/", perm=EDIT, denied="leader", scoped=True),
    "projects_applications:application_submit": Route(WD + "/submit/", "POST", EDIT, denied="city_admin", scoped=True),
    "projects_applications:application_start_review": Route(WA + "/start-review/", "POST", REVIEW, denied="finance", scoped=True),
    "projects_applications:application_score": Route(WA + "/score/", "POST", REVIEW, denied="leader", scoped=True,
                                                     data={"score": "80", "comment": "walker"}),
    "projects_applications:application_approve": Route(WA + "/approve/", "POST", REVIEW, denied="auditor", scoped=True),
    "projects_applications:application_return": Route(WA + "/return/", "POST", REVIEW, denied="finance", scoped=True,
                                                      data={"reason": "walker"}),
    "projects_applications:application_reject": Route(WA + "/reject/", "POST", REVIEW, denied="leader", scoped=True,
                                                      data={"reason": "walker"}),
    "projects_applications:application_delete": Route(W + "/applications/{ap_draft_del_id}/delete/", "POST", EDIT, denied="city_admin",
                                                      scoped=True),
}

API: dict = {
    f"GET {A}/plans": Route(A + "/plans", perm=VIEW, denied="sysadmin"),
    f"POST {A}/plans": Route(A + "/plans", perm=MANAGE, denied="leader",
                             data={"name": "walker", "start_year": 2041, "end_year": 2045, "division_code": "4299"}),
    f"GET {A}/plans/{{plan_id}}": Route(AP, perm=VIEW, denied="secadmin", scoped=True),
    f"PATCH {A}/plans/{{plan_id}}": Route(AP, perm=MANAGE, denied="finance", scoped=True, data={"note": "walker"}),
    f"DELETE {A}/plans/{{plan_id}}": Route(A + "/plans/{ap_plan_api_del_id}", perm=MANAGE, denied="auditor", scoped=True),
    f"POST {A}/plans/{{plan_id}}/publish": Route(AP + "/publish", perm=MANAGE, denied="leader", scoped=True),
    f"POST {A}/plans/{{plan_id}}/close": Route(AP + "/close", perm=MANAGE, denied="finance", scoped=True),
    f"GET {A}/plans/{{plan_id}}/targets": Route(AP + "/targets", perm=VIEW, denied="auditadmin", scoped=True),
    f"PUT {A}/plans/{{plan_id}}/targets": Route(AP + "/targets", perm=MANAGE, denied="leader", scoped=True, data={"targets": [
        {"county": "429921", "category": "infrastructure", "projects": 3, "investment_yuan": "1500000"}]}),
    f"GET {A}/plans/{{plan_id}}/projects": Route(AP + "/projects", perm=VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/plans/{{plan_id}}/projects": Route(AP + "/projects", perm=MANAGE, denied="auditor", scoped=True,
                                                  data={"project_codes": ["WALKER-PLAN-2"]}),
    f"DELETE {A}/plans/{{plan_id}}/projects/{{project_id}}": Route(AP + "/projects/{ap_project_id}", perm=MANAGE, denied="finance",
                                                                   scoped=True),
    f"GET {A}/plans/{{plan_id}}/report": Route(AP + "/report", perm=VIEW, denied="secadmin", scoped=True),
    f"GET {A}/plans/{{plan_id}}/report/export": Route(AP + "/report/export", perm=VIEW, denied="auditadmin", scoped=True),
    f"GET {A}/guidelines": Route(A + "/guidelines", perm=VIEW, denied="sysadmin"),
    f"POST {A}/guidelines": Route(A + "/guidelines", perm=MANAGE, denied="leader",
                                  data={"year": 2041, "title": "walker", "division_code": "4299", "min_investment_yuan": "100000"}),
    f"GET {A}/guidelines/{{guideline_id}}": Route(AG, perm=VIEW, denied="secadmin", scoped=True),
    f"PATCH {A}/guidelines/{{guideline_id}}": Route(AG, perm=MANAGE, denied="finance", scoped=True, data={"conditions": "walker"}),
    f"DELETE {A}/guidelines/{{guideline_id}}": Route(A + "/guidelines/{ap_guideline_api_del_id}", perm=MANAGE, denied="auditor",
                                                     scoped=True),
    f"POST {A}/guidelines/{{guideline_id}}/publish": Route(AG + "/publish", perm=MANAGE, denied="leader", scoped=True),
    f"POST {A}/guidelines/{{guideline_id}}/close": Route(AG + "/close", perm=MANAGE, denied="finance", scoped=True),
    f"GET {A}/guidelines/{{guideline_id}}/ranking": Route(A + "/guidelines/{ap_published_id}/ranking", perm=VIEW, denied="sysadmin",
                                                          scoped=True),
    f"GET {A}/guidelines/{{guideline_id}}/ranking/export": Route(A + "/guidelines/{ap_published_id}/ranking/export", perm=VIEW,
                                                                 denied="auditadmin", scoped=True),
    f"GET {A}/applications": Route(A + "/applications", perm=VIEW, denied="sysadmin"),
    f"POST {A}/applications": Route(A + "/applications", perm=EDIT, denied="city_admin",
                                    data={"project_code": "WALKER-APP-NEW", "requested_by_source_yuan": {"central": "100000"}}),
    f"GET {A}/applications/{{application_id}}": Route(AA, perm=VIEW, denied="secadmin", scoped=True),
    f"PATCH {A}/applications/{{application_id}}": Route(AD, perm=EDIT, denied="leader", scoped=True, data={"justification": "walker"}),
    f"DELETE {A}/applications/{{application_id}}": Route(A + "/applications/{ap_draft_api_del_id}", perm=EDIT, denied="city_admin",
                                                         scoped=True),
    f"GET {A}/applications/{{application_id}}/checks": Route(AD + "/checks", perm=VIEW, denied="auditadmin", scoped=True),
    f"POST {A}/applications/{{application_id}}/submit": Route(AD + "/submit", perm=EDIT, denied="city_admin", scoped=True),
    f"POST {A}/applications/{{application_id}}/start-review": Route(AA + "/start-review", perm=REVIEW, denied="finance", scoped=True),
    f"POST {A}/applications/{{application_id}}/score": Route(AA + "/score", perm=REVIEW, denied="leader", scoped=True,
                                                             data={"score": "85.5", "comment": "walker"}),
    f"POST {A}/applications/{{application_id}}/approve": Route(AA + "/approve", perm=REVIEW, denied="auditor", scoped=True),
    f"POST {A}/applications/{{application_id}}/return": Route(AA + "/return", perm=REVIEW, denied="finance", scoped=True,
                                                              data={"reason": "walker"}),
    f"POST {A}/applications/{{application_id}}/reject": Route(AA + "/reject", perm=REVIEW, denied="leader", scoped=True,
                                                              data={"reason": "walker"}),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from django.utils import timezone

    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.divisions.models import Division
    from anju.projects.models import Application, Guideline, Plan, Stage
    from anju.projects.services import applications as apps
    from anju.projects.services.applications_guidelines import guideline_create, guideline_publish
    from anju.projects.services.plans import plan_create
    from tests.conftest import DEMO_PASSWORD

    from .factories import OTHER_VILLAGE, make_project

    city = users["city_clerk"]
    county = Division.objects.get(code="429921000000")
    applicant = user_create(actor=None, username="w_ap_applicant", role=ROLES["county_clerk"], entry_scope=county, view_scope=county,
                            password=DEMO_PASSWORD, must_change_password=False)

    plan = plan_create(actor=city, name="walker", start_year=2036, end_year=2040, division_code="4299")
    in_plan = make_project(year=2037, plan=plan, code="WALKER-PLAN-1")
    make_project(year=2038, code="WALKER-PLAN-2")

    def plan_draft(start: int) -> int:
        return plan_create(actor=city, name=f"walker {start}", start_year=start, end_year=start + 4, division_code="4299").pk

    def guideline_draft(year: int) -> int:
        return guideline_create(actor=city, year=year, title=f"walker {year}", division_code="4299").pk

    published = guideline_publish(actor=city, guideline=guideline_create(
        actor=city, year=2036, title="walker published", division_code="4299", deadline=timezone.localdate() + dt.timedelta(days=30)))

    def application(code: str, *, submit: bool) -> Application:
        project = make_project(year=2036, stage=Stage.RESERVE, code=code)
        a = apps.application_create(actor=applicant, project=project, requested_by_source={"central": 10_000_000})
        return apps.application_submit(actor=applicant, application=a) if submit else a

    under_review = apps.application_review_start(actor=city, application=application("WALKER-APP-1", submit=True))
    make_project(year=2036, stage=Stage.RESERVE, code="WALKER-APP-NEW")
    inside = {
        "ap_plan_id": plan.pk, "ap_project_id": in_plan.pk, "ap_plan_del_id": plan_draft(2046), "ap_plan_api_del_id": plan_draft(2051),
        "ap_guideline_id": guideline_draft(2037), "ap_guideline_del_id": guideline_draft(2038), "ap_guideline_api_del_id": guideline_draft(2039),
        "ap_published_id": published.pk, "ap_application_id": under_review.pk, "ap_draft_id": application("WALKER-APP-2", submit=False).pk,
        "ap_draft_del_id": application("WALKER-APP-3", submit=False).pk, "ap_draft_api_del_id": application("WALKER-APP-4", submit=False).pk,
    }

    foreign_plan = Plan.objects.create(name="外市规划", start_year=2036, end_year=2040, division_code="429800000000").pk
    foreign_guideline = Guideline.objects.create(year=2036, title="外市指南", division_code="429800000000", state=Guideline.State.PUBLISHED)
    foreign_project = make_project(year=2036, division_code=OTHER_VILLAGE, stage=Stage.REVIEWING, code="WALKER-FOREIGN")
    foreign_application = Application.objects.create(project=foreign_project, guideline=foreign_guideline, division_code=OTHER_VILLAGE,
                                                     state=Application.State.REVIEWING).pk
    outside = {
        "ap_plan_id": foreign_plan, "ap_project_id": foreign_project.pk, "ap_plan_del_id": foreign_plan, "ap_plan_api_del_id": foreign_plan,
        "ap_guideline_id": foreign_guideline.pk, "ap_guideline_del_id": foreign_guideline.pk, "ap_guideline_api_del_id": foreign_guideline.pk,
        "ap_published_id": foreign_guideline.pk, "ap_application_id": foreign_application, "ap_draft_id": foreign_application,
        "ap_draft_del_id": foreign_application, "ap_draft_api_del_id": foreign_application,
    }
    return inside, outside
