"""Real-browser test of relocation follow-up: a county clerk records a job for a relocated person through the household
page's form, and the follow-up metrics page then counts the household as having at least one person employed; the
dashboard shows the site map (server-side SVG). No console error, no failed or external request."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .test_browser import _assert_clean_logs, _css, _password_login, _screenshot, _wait, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_clerk_records_a_job_and_the_metrics_count_it(live_server, browser, make_user):  # noqa: F811
    from selenium.webdriver.support import expected_conditions as ec

    from anju.core.policy import policy_defaults_load
    from anju.relocation.models import Employment
    from anju.relocation.seeds import relocation_seed_load
    from tests.relocation.factories import make_relocated_household, make_site, members_of

    policy_defaults_load()  # a transactional test starts from a flushed database
    relocation_seed_load()
    today = dt.date.today()
    clerk = make_user("county_clerk", "429921", username="b_relocation_clerk")
    site = make_site(name="浏览器测试安置点", longitude="110.70", latitude="31.05")
    household = make_relocated_household(site=site, members=[("浏览器户主", "户主", dt.date(1985, 4, 1)),
                                                             ("浏览器子女", "子女", today.replace(year=today.year - 8))])
    head = members_of(household)[0]

    base = live_server.url
    _password_login(browser, base, clerk.username)
    browser.get(f"{base}/relocation/support/households/{household.pk}/")
    _wait(browser, lambda d: "浏览器户主" in _css(d, "main").text, "the household follow-up page did not open")

    browser.get(f"{base}/relocation/support/households/{household.pk}/employment/new/")
    browser.execute_script(
        "const f = document.querySelector('main form[method=post]');"
        "f.querySelector('[name=person]').value = arguments[0];"
        "f.querySelector('[name=kind]').value = 'workshop';"
        "f.querySelector('[name=employer]').value = '安置点扶贫车间';"
        "f.querySelector('[name=started_on]').value = arguments[1];"
        "f.querySelector('[name=monthly_income]').value = '2600';",
        str(head.pk), (today - dt.timedelta(days=10)).isoformat())
    _css(browser, "main form[method=post] button[type=submit]").click()
    _wait(browser, ec.presence_of_element_located(("css selector", ".msg-success")), "the job was not recorded")
    job = Employment.objects.get(person=head)
    assert (job.kind, job.monthly_income_fen, job.employer) == ("workshop", 260_000, "安置点扶贫车间")

    browser.get(f"{base}/relocation/metrics/?as_of={today.isoformat()}&scope=429921101&by=site")
    row = next(r for r in browser.find_elements("css selector", "main table tr") if "浏览器测试安置点" in r.text)
    assert re.search(r"\b100(\.0+)?%", row.text), f"the metrics page does not count the employed household: {row.text}"

    browser.get(f"{base}/relocation/dashboards/?scope=429921")
    _wait(browser, lambda d: d.find_elements("css selector", "main svg"), "the dashboard shows no SVG (map or charts)")
    _screenshot(browser, "relocation-dashboard.png")
    _assert_clean_logs(browser, base)
