"""`anju divisions load DIR [--root CODE]`: prints counts and exits 0, or prints the Chinese error with file/line
lines and exits 2 having written nothing."""

import contextvars
import os

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.conf import DATA_DIR_ENV
from anju.core.models import AuditEvent, Job
from anju.divisions.models import Division
from anju.divisions.services import (
    MSG_BAD_CODE,
    MSG_BAD_ROOT,
    MSG_DUPLICATE,
    MSG_GBK,
    MSG_NO_FILES,
    MSG_SUMMARY,
    RowError,
)

CITY_HEADER = "code,name,provinceCode\n"


def invoke(*args: str):
    # The CLI sets the request-meta context variable for its audit events; keep that out of later tests.
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def write_files(directory, files):
    for name, content in files.items():
        (directory / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return directory


def test_load_prints_counts_and_exits_0(db, tmp_path):
    write_files(tmp_path, {"provinces.csv": "code,name\n42,湖北省\n", "cities.csv": CITY_HEADER + "4205,宜昌市,42\n"})

    result = invoke("divisions", "load", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert "读取 2 条（省级 1、市级 1）：新增 2，更新 0，未变 0；用时" in result.stdout
    assert Division.objects.get(code="420500000000").parent_id == "420000000000"
    job = Job.objects.get(kind="divisions.load")
    assert (job.state, job.params["source"], job.params["dir"]) == (Job.State.SUCCEEDED, "cli", str(tmp_path))
    event = AuditEvent.objects.get(action="divisions.loaded")
    assert (event.channel, event.after["source"]) == ("cli", "cli")


def test_second_run_reports_updates_and_unchanged(db, tmp_path):
    write_files(tmp_path, {"provinces.csv": "code,name\n42,湖北省\n", "cities.csv": CITY_HEADER + "4205,宜昌市,42\n"})
    invoke("divisions", "load", str(tmp_path))
    write_files(tmp_path, {"cities.csv": CITY_HEADER + "4205,宜昌市（新）,42\n4201,武汉市,42\n"})

    result = invoke("divisions", "load", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert "读取 3 条（省级 1、市级 2）：新增 1，更新 1，未变 1；" in result.stdout
    assert Division.objects.get(code="420500000000").name == "宜昌市（新）"


def test_load_of_real_data(db, shared_divisions):
    result = invoke("divisions", "load", str(shared_divisions))

    assert result.exit_code == 0, result.output
    assert ("读取 45377 条（省级 31、市级 342、县级 2975、乡级 41351、村级 678）：新增 45377，更新 0，未变 0；"
            in result.stdout)
    assert Division.objects.count() == 45377


@pytest.mark.parametrize("root", ["4205", "420500000000"])
def test_load_with_root_takes_one_city(db, shared_divisions, root):
    result = invoke("divisions", "load", str(shared_divisions), "--root", root)

    assert result.exit_code == 0, result.output
    assert "读取 806 条（省级 1、市级 1、县级 13、乡级 113、村级 678）：新增 806，更新 0，未变 0；" in result.stdout
    assert set(Division.objects.values_list("code", flat=True)) == (
        {"420000000000"} | set(Division.objects.filter(code__startswith="4205").values_list("code", flat=True)))


def test_bad_files_exit_2_with_every_file_and_line_and_nothing_written(db, tmp_path):
    write_files(tmp_path, {
        "provinces.csv": "code,name\n42,湖北省\n",
        "cities.csv": CITY_HEADER + "4205,宜昌市,42\n4205,宜昌市,42\n42051,长码,42\n",
        "areas.csv": "code,name,cityCode\n420502,西陵区,4205\n".encode("gbk"),
    })

    result = invoke("divisions", "load", str(tmp_path))

    assert result.exit_code == 2
    errors = [
        RowError("cities.csv", 3, str(MSG_DUPLICATE % {"code": "4205", "first": 2})),
        RowError("cities.csv", 4, str(MSG_BAD_CODE % {"code": "42051", "n": 4})),
        RowError("areas.csv", 1, str(MSG_GBK)),
    ]
    assert f"错误：{MSG_SUMMARY % {'count': 3, 'first': str(errors[0])}}" in result.stderr
    for e in errors:
        assert f"  {e.file} 第 {e.line} 行：{e.reason}\n" in result.stderr
    assert "新增" not in result.stdout
    assert Division.objects.count() == 0
    assert Job.objects.get(kind="divisions.load").state == Job.State.FAILED


def test_directory_without_division_files_exits_2(db, tmp_path):
    result = invoke("divisions", "load", str(tmp_path))

    assert result.exit_code == 2
    assert f"错误：{MSG_NO_FILES % {'dir': tmp_path}}" in result.stderr


def test_bad_root_exits_2(db, tmp_path):
    write_files(tmp_path, {"provinces.csv": "code,name\n42,湖北省\n"})

    result = invoke("divisions", "load", str(tmp_path), "--root", "420")

    assert result.exit_code == 2
    assert f"错误：{MSG_BAD_ROOT % {'root': '420'}}" in result.stderr
    assert Division.objects.count() == 0


def test_missing_directory_is_a_usage_error(db, tmp_path):
    result = invoke("divisions", "load", str(tmp_path / "nope"))

    assert result.exit_code == 2
    assert "nope" in result.stderr
    assert not Job.objects.exists()


def test_data_dir_option_sets_the_environment(db, tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, os.environ.get(DATA_DIR_ENV, ""))  # restored after the test
    write_files(tmp_path, {"provinces.csv": "code,name\n42,湖北省\n"})

    result = invoke("divisions", "load", "--data-dir", str(tmp_path / "data"), str(tmp_path))

    assert result.exit_code == 0, result.output
    assert os.environ[DATA_DIR_ENV] == str(tmp_path / "data")
