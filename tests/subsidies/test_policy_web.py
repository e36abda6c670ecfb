"""Policy version pages: list, draft forms (new, edit, copy), detail with the values in force, publish and revoke."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.models import PolicyVersion
from anju.subsidies.models import SubsidyPolicy
from anju.subsidies.services import policy as svc

from .factories import actors

D = dt.date
FORM = {"title": "白云县提标", "doc_number": "白政发〔2027〕1号", "scope": "429921", "effective_from": "2027-01-01", "standard_yuan": "720",
        "frequency": "", "cutoff_date": "", "period_start_current": "", "period_years_current": "", "period_years": "",
        "removal_effective": "", "note": ""}


@pytest.fixture
def people(make_user):
    return actors(make_user)


def national() -> SubsidyPolicy:
    return SubsidyPolicy.objects.get(scope="", effective_from=D(2006, 7, 1))


def test_list_shows_values_and_inherited_ones(tree, people, login):
    svc.subsidy_policy_create(actor=people["city_clerk"], title="市级延期", scope="4299", effective_from=D(2026, 7, 1), period_years_current=25)
    page = login(people["city_clerk"]).get("/subsidies/policies/").content.decode()
    for text in ("国家政策（国发〔2006〕17号）", "全国", "600.00 元/人·年", "按年发放", "市级延期", "清江市", "25 年", "继承", "起草新版本"):
        assert text in page, text
    county = login(people["clerk"]).get("/subsidies/policies/").content.decode()
    assert "国家政策" in county and "市级延期" not in county and "起草新版本" not in county  # a wider authority's draft
    assert "市级延期" not in login(people["city_clerk"]).get("/subsidies/policies/?state=published").content.decode()
    assert login(people["city_clerk"]).get("/subsidies/policies/?q=%00&state=zzz").status_code == 200


def test_new_draft_form(tree, people, login):
    client = login(people["city_clerk"])
    page = client.get("/subsidies/policies/new/").content.decode()
    assert 'value="4299"' in page and "直补的扶持方式" in page
    response = client.post("/subsidies/policies/new/", {**FORM, "direct_modes": ["direct"]})
    p = SubsidyPolicy.objects.get(title="白云县提标")
    assert response.status_code == 302 and response.url == f"/subsidies/policies/{p.pk}/"
    assert (p.state, p.scope, p.standard_yuan, p.direct_modes, p.frequency) == ("draft", "429921", 720, ["direct"], "")
    bad = client.post("/subsidies/policies/new/", {**FORM, "title": "坏", "standard_yuan": "0", "period_years": "60", "scope": "429821"})
    html = bad.content.decode()
    assert bad.status_code == 200 and not SubsidyPolicy.objects.filter(title="坏").exists()
    for message in (svc.MSG_STANDARD, svc.MSG_YEARS % {"field": "原迁人口扶持年限"}, svc.MSG_SCOPE_UNKNOWN % {"code": "429821"}):
        assert str(message) in html, message
    empty = client.post("/subsidies/policies/new/", {**FORM, "title": "空", "standard_yuan": ""})
    assert str(svc.MSG_NO_VALUES) in empty.content.decode()
    assert login(people["clerk"]).get("/subsidies/policies/new/").status_code == 403


def test_edit_and_copy_forms(tree, people, login):
    client = login(people["city_clerk"])
    p = svc.subsidy_policy_create(actor=people["city_clerk"], title="草稿", scope="429921", effective_from=D(2027, 1, 1), period_years=25,
                                  direct_modes=["direct", "project"])
    page = client.get(f"/subsidies/policies/{p.pk}/edit/").content.decode()
    assert 'value="25"' in page and 'value="project" checked' in page.replace('id="id_direct_modes_1" ', "")
    response = client.post(f"/subsidies/policies/{p.pk}/edit/", {**FORM, "title": "草稿二", "standard_yuan": "", "period_years": "30"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.title, p.period_years, p.standard_yuan, p.direct_modes, p.doc_number) == ("草稿二", 30, None, None, "白政发〔2027〕1号")
    copy_page = client.get(f"/subsidies/policies/{national().pk}/copy/").content.decode()
    assert "国家政策（国发〔2006〕17号）（副本）" in copy_page and 'value="4299"' in copy_page
    response = client.post(f"/subsidies/policies/{national().pk}/copy/", {"title": "清江市政策", "scope": "4299", "effective_from": "2026-07-01"})
    copy = SubsidyPolicy.objects.get(title="清江市政策")
    assert response.url == f"/subsidies/policies/{copy.pk}/" and (copy.scope, copy.standard_yuan, copy.period_years) == ("4299", 600, 20)
    bad = client.post(f"/subsidies/policies/{national().pk}/copy/", {"title": "全国", "scope": "", "effective_from": "2026-07-01"})
    assert str(svc.MSG_SCOPE_NATIONAL) in bad.content.decode()


def test_detail_shows_the_values_in_force_and_their_source(tree, people, login):
    city = svc.subsidy_policy_create(actor=people["city_clerk"], title="清江市后续扶持", scope="4299", effective_from=D(2026, 7, 1),
                                     period_years_current=25)
    svc.subsidy_policy_publish(actor=people["city"], policy=city)
    draft = svc.subsidy_policy_create(actor=people["city_clerk"], title="白云县提标", scope="429921", effective_from=D(2027, 1, 1),
                                      standard_yuan=720)
    client = login(people["clerk"])
    page = client.get(f"/subsidies/policies/{draft.pk}/").content.decode()
    for text in ("白云县提标", "草稿", "某县某日执行的政策", "白云县在 2027-01-01 执行的取值", "25 年", "清江市后续扶持", "720.00 元/人·年",
                 "本草稿发布后", "国家政策（国发〔2006〕17号）"):
        assert text in page, text
    assert "/publish/" not in page and "/edit/" not in page and "测算对比" not in page  # a county clerk may only look
    before = client.get(f"/subsidies/policies/{city.pk}/?county=429921&on=2026-06-30").content.decode()
    assert "20 年" in before and "白云县在 2026-06-30" in before
    assert client.get(f"/subsidies/policies/{city.pk}/?county=429922").status_code == 200  # not a choice for the county clerk
    admin = login(people["city"]).get(f"/subsidies/policies/{draft.pk}/").content.decode()
    assert "发布后自生效日期起" in admin and "测算对比" in admin


def test_publish_and_revoke_through_the_pages(tree, people, login):
    p = svc.subsidy_policy_create(actor=people["city_clerk"], title="白云县提标", scope="429921", effective_from=D(2027, 1, 1),
                                  standard_yuan=720)
    url = f"/subsidies/policies/{p.pk}"
    assert login(people["city_clerk"]).post(url + "/publish/").status_code == 403
    admin = login(people["city"])
    assert admin.post(url + "/publish/").status_code == 302
    assert SubsidyPolicy.objects.get(pk=p.pk).state == "published"
    assert PolicyVersion.objects.get(scope="429921").value == "720.00"
    again = admin.post(url + "/publish/", follow=True)
    assert str(svc.MSG_PUBLISH_STATE) in again.content.decode()
    page = admin.get(url + "/").content.decode()
    assert "撤销版本" in page and "修改草稿" not in page
    response = admin.post(url + "/revoke/", {"reason": ""}, follow=True)
    assert str(svc.MSG_REASON_REQUIRED) in response.content.decode()
    admin.post(url + "/revoke/", {"reason": "文件废止"})
    assert SubsidyPolicy.objects.get(pk=p.pk).state == "revoked" and not PolicyVersion.objects.filter(scope="429921").exists()
    assert "文件废止" in admin.get(url + "/").content.decode()


def test_conflict_is_shown_before_publishing(tree, people, login):
    PolicyVersion.objects.create(key="reservoir.standard_yuan", scope="429921", effective_from=D(2027, 1, 1), value="700.00")
    p = svc.subsidy_policy_create(actor=people["city_clerk"], title="白云县提标", scope="429921", effective_from=D(2027, 1, 1),
                                  standard_yuan=720)
    admin = login(people["city"])
    assert "reservoir.standard_yuan" in admin.get(f"/subsidies/policies/{p.pk}/").content.decode()
    refused = admin.post(f"/subsidies/policies/{p.pk}/publish/", follow=True).content.decode()
    assert str(svc.MSG_PUBLISH_EXISTS % {"keys": "reservoir.standard_yuan"}) in refused
