"""Real-browser test of the projects module: a county clerk opens a project, reports the month's progress through the
form and sees it on the project page with its chart; no console error, no failed or external request."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .test_browser import _assert_clean_logs, _css, _password_login, _screenshot, _wait, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_clerk_reports_progress_and_sees_it_on_the_project_page(live_server, browser, make_user):  # noqa: F811
    from selenium.webdriver.support import expected_conditions as ec

    from anju.projects.models import ProgressReport
    from anju.projects.seeds import projects_seed_load
    from tests.projects.factories import make_allocation, make_progress, make_project

    projects_seed_load()  # a transactional test starts from a flushed database
    today = dt.date.today()
    clerk = make_user("county_clerk", "429921", username="b_projects_clerk")
    project = make_project(year=today.year, name="浏览器测试产业路", actual_start=today - dt.timedelta(days=70), stage="implementing")
    make_allocation(project, 40_000_000, doc_date=today - dt.timedelta(days=90))
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    make_progress(project, last_month, "30", investment_completed=10_000_000)

    base = live_server.url
    _password_login(browser, base, clerk.username)
    browser.get(f"{base}/projects/{project.pk}/")
    _wait(browser, lambda d: "浏览器测试产业路" in _css(d, "h1").text, "the project page did not open")
    assert _css(browser, "#warnings") and _css(browser, "#archive")
    assert browser.find_elements("css selector", "svg"), "the progress chart (server-side SVG) is missing"

    browser.get(f"{base}/projects/funds/projects/{project.pk}/progress/")
    browser.execute_script(
        "const f = document.querySelector('form[action$=\"/report/\"]');"
        "f.querySelector('[name=month]').value = arguments[0];"
        "f.querySelector('[name=physical_percent]').value = '55';"
        "f.querySelector('[name=investment_completed]').value = '18.5';"
        "f.querySelector('[name=unit]').value = 'wan';"
        "f.querySelector('[name=problems]').value = '雨季影响施工';",
        today.strftime("%Y-%m"))
    _css(browser, "form[action$='/report/'] button[type=submit]").click()
    _wait(browser, ec.presence_of_element_located(("css selector", ".msg-success")), "the progress report was not accepted")
    report = ProgressReport.objects.get(project=project, month=today.replace(day=1))
    assert (report.physical_percent, report.investment_completed, report.problems) == (55, 18_500_000, "雨季影响施工")

    browser.get(f"{base}/projects/{project.pk}/")
    assert re.search(r"\b55(\.0+)?%", _css(browser, "main").text), "the new month's progress is not on the project page"
    _screenshot(browser, "projects-detail.png")
    _assert_clean_logs(browser, base)
