"""Real-browser tests: headless Chromium drives the live server through login, the shell and the API docs.

They catch what the test client cannot: JavaScript errors, assets that fail to load, the lazy division
tree's fetch, the job page's polling, and any dependency on a CDN (the system runs on closed networks).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from ..conftest import DEMO_PASSWORD, skip_or_fail

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # gitignored
WAIT = 15


@pytest.fixture
def browser(flushable_audit):
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        skip_or_fail(f"chromium/chromedriver not installed: {', '.join(missing)} missing")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="anju-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1366,900", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, message)


def _css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def _password_login(driver, base: str, username: str) -> None:
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{base}/login/")
    _css(driver, "input[name=username]").send_keys(username)
    _css(driver, "input[name=password]").send_keys(DEMO_PASSWORD)
    _css(driver, "form button[type=submit]").click()
    _wait(driver, ec.url_changes(f"{base}/login/"), "the login form was not accepted")


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    data = path.read_bytes()
    assert len(data) > 1000 and data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG screenshot"
    return path


def _asset_urls(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('link[href], script[src], img[src]'))"
        ".map(e => e.href || e.src).filter(u => u && !u.startsWith('data:'));"
    )


def _assert_clean_logs(driver, base: str) -> None:
    """No console error and no failed request (status >= 400 or a network failure) on any page visited."""
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, "browser console errors:\n" + "\n".join(e["message"] for e in severe)

    # Only requests our pages made: the browser's own chrome:// and background traffic is not the app's.
    requests, failed = {}, []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        if method == "Network.requestWillBeSent":
            url, document = params["request"]["url"], params.get("documentURL", "")
            if url.startswith(base) or document.startswith(base):
                requests[params["requestId"]] = url
                if url.startswith(("http:", "https:")) and not url.startswith(base):
                    failed.append(f"request outside the server (a CDN?): {url}")
        elif method == "Network.responseReceived" and params["requestId"] in requests:
            if params["response"]["status"] >= 400:
                failed.append(f"{params['response']['status']} {params['response']['url']}")
        elif method == "Network.loadingFailed" and params["requestId"] in requests:
            # ERR_ABORTED: a request cancelled by the next navigation (e.g. a poll), not a broken asset.
            if params.get("errorText") != "net::ERR_ABORTED" and not params.get("canceled"):
                failed.append(f"{params.get('errorText')} {requests[params['requestId']]}")
    assert requests, "the performance log recorded no request"
    assert not failed, "failed or external loads:\n" + "\n".join(failed)


def test_city_admin_logs_in_with_totp_and_uses_the_shell(live_server, browser, make_user):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from selenium.webdriver.support import expected_conditions as ec

    base = live_server.url
    user = make_user("city_admin", "4299", username="browser_admin", full_name="王市管")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    # Password, then the second factor.
    _password_login(browser, base, "browser_admin")
    assert browser.current_url == f"{base}/login/totp/"
    assert "双因素认证" in browser.page_source
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    _css(browser, "input[name=token]").send_keys(f"{totp.token():0{device.digits}d}")
    _css(browser, "form button[type=submit]").click()
    _wait(browser, ec.url_to_be(f"{base}/"), "the TOTP step did not lead to the home page")

    # The Chinese shell, whatever the browser's own language.
    assert browser.execute_script("return document.documentElement.lang") == "zh-hans"
    assert "区划树" in browser.page_source
    assert "清江市" in _css(browser, "main h1").text
    sections = [h.text for h in browser.execute_script("return document.querySelectorAll('aside.sidebar h2')")]
    assert sections == ["工作台", "人口名册", "直补发放", "扶持项目", "搬迁后续扶持", "基础数据", "个人"], sections
    assert "王市管" in _css(browser, "header .who").text

    # The division tree expands lazily: a county's townships arrive by fetch.
    toggle = _css(browser, "[data-tree] > li.tree-node > button.tree-toggle")
    node = toggle.find_element("xpath", "..")
    toggle.click()
    _wait(browser, lambda d: node.find_elements("css selector", "ul.tree > li.tree-node"),
          "the division tree did not load children")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert "镇" in node.find_element("css selector", "ul.tree").text or "街道" in node.text
    _screenshot(browser, "browser-home.png")

    # A menu entry: 行政区划 opens the user's own division.
    _css(browser, "aside.sidebar a[href='/divisions/']").click()
    _wait(browser, ec.url_contains("/divisions/4299/"), "行政区划 did not open the city")
    assert "清江市" in _css(browser, "main h1").text
    assert _css(browser, "aside.sidebar a[aria-current=page]").text.strip() == "行政区划"

    # The API docs: Swagger UI from local static files, rendering the schema.
    _css(browser, "aside.sidebar a[href='/api/v1/docs']").click()
    _wait(browser, lambda d: d.find_elements("css selector", ".swagger-ui .opblock"), "Swagger UI did not render")
    assert "anju API" in _css(browser, ".swagger-ui .info .title").text
    assets = _asset_urls(browser)
    assert any("swagger-ui-bundle" in u for u in assets), assets
    assert all(u.startswith(base) for u in assets), f"assets from outside the server: {assets}"
    _screenshot(browser, "browser-api-docs.png")

    _assert_clean_logs(browser, base)


def test_township_clerk_watches_a_job_finish(live_server, browser, make_user):
    """No second factor for a 乡镇经办; the job page polls its status until the job is done."""
    from selenium.webdriver.support import expected_conditions as ec

    from anju.core.jobs import job_create_inline, result_path
    from anju.core.models import Job

    base = live_server.url
    user = make_user("township_clerk", "429921101", username="browser_clerk")
    job = job_create_inline(actor=None, kind="audit.export", division_code=user.view_scope_id)
    Job.objects.filter(pk=job.pk).update(created_by=user)

    _password_login(browser, base, "browser_clerk")
    _wait(browser, ec.url_to_be(f"{base}/"), "the password login did not lead to the home page")
    browser.get(f"{base}/jobs/{job.pk}/")
    state = _css(browser, "[data-job-state]")
    assert state.text == "排队中"
    assert not _css(browser, "[data-job-download]").is_displayed()

    result_path(job, "result.xlsx").write_bytes(b"PK\x03\x04browser")
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED, progress=100, message="完成",
                                         result_file=job.result_file)
    _wait(browser, lambda d: state.text == "已完成", "the job page did not pick up the finished state")
    _wait(browser, lambda d: _css(d, "[data-job-download]").is_displayed(), "no download link after success")
    assert "100%" in _css(browser, "[data-job-message]").text
    _screenshot(browser, "browser-job.png")

    _assert_clean_logs(browser, base)


def test_county_clerk_imports_a_roster_and_reads_the_result(live_server, browser, make_user, tmp_path):
    """Upload a roster with one bad row on the import page; the job page shows the counts and the bad cell."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    from anju.core.jobs import job_execute
    from anju.core.models import Job

    from ..registry.roster_files import headers, reservoir_sample, write_csv

    base = live_server.url
    make_user("county_clerk", "429921", username="browser_importer")
    rows = reservoir_sample(12)
    rows[4][headers().index("扶持方式")] = "现金"
    path = write_csv(tmp_path / "白云县花名册.csv", rows)

    _password_login(browser, base, "browser_importer")
    _wait(browser, ec.url_to_be(f"{base}/"), "the password login did not lead to the home page")
    browser.get(f"{base}/registry/imports/")
    assert _css(browser, "[data-template='reservoir']").is_displayed()
    Select(_css(browser, "select[name='program']")).select_by_value("reservoir")
    Select(_css(browser, "select[name='mode']")).select_by_value("valid-only")
    _css(browser, "input[name='file']").send_keys(str(path))
    _css(browser, "[data-import-form] button[type='submit']").click()
    _wait(browser, lambda d: "/jobs/" in d.current_url, "the upload did not lead to the job page")

    job = job_execute(Job.objects.get(kind="registry.import").pk)  # the worker's part, done here
    assert job.state == Job.State.SUCCEEDED, job.error
    message = _css(browser, "[data-job-message]")
    _wait(browser, lambda d: "新增 11" in message.text, f"the page did not show the counts: {message.text!r}")
    assert "拒绝 1" in message.text
    detail = _css(browser, "[data-job-detail]").text
    assert "第 6 行" in detail and "扶持方式" in detail
    _wait(browser, lambda d: _css(d, "[data-job-download]").is_displayed(), "no error workbook to download")
    _screenshot(browser, "browser-import.png")

    browser.get(f"{base}/registry/imports/")
    assert "白云县花名册.csv" in _css(browser, "[data-import-batches]").text
    _assert_clean_logs(browser, base)
