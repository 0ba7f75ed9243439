"""The command line's outputs: refused before any work, locked for the run, written together
(README.md, "Output rules")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from ecopark_opt.cli import main
from ecopark_opt.outputs import files, jsonout
from ecopark_opt.outputs.files import RunLock, run_lock_path
from tests.helpers import park_file, two_firm_park


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def park(tmp_path: Path) -> Path:
    return park_file(tmp_path, two_firm_park())


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    return line


# --- refused before any work ------------------------------------------------------------------


def test_json_into_a_fifo_is_refused_and_nothing_is_written(park: Path, out: Path):
    fifo = out / "r.json"
    os.mkfifo(fifo)
    line = one_error(run(["solve", park, "--out", out / "r.xlsx", "--json", fifo]))
    assert line == f"error: {fifo}: is a FIFO (named pipe), not a regular file; outputs are " + (
        "regular files only"
    )
    assert names(out) == ["r.json"] and fifo.is_fifo()


def test_json_through_a_link_to_a_device_is_refused(park: Path, out: Path):
    link = out / "r.json"
    link.symlink_to("/dev/null")
    line = one_error(run(["solve", park, "--out", out / "r.xlsx", "--json", link]))
    assert line.startswith(f"error: {link}: is a device, not a regular file")
    assert link.is_symlink() and names(out) == ["r.json"]


@pytest.mark.parametrize(
    "json_name",
    ["r.xlsx", "sub/../r_network.png", ".r.xlsx.lock"],
    ids=["the report", "the network picture", "the report's lock file"],
)
def test_json_that_is_another_output_of_the_run_is_refused(park: Path, out: Path, json_name):
    line = one_error(run(["solve", park, "--out", out / "r.xlsx", "--json", out / json_name]))
    assert "another output of this run" in line
    assert names(out) == []


def test_an_output_that_is_the_input_through_a_link_is_refused(park: Path, out: Path):
    before = park.read_bytes()
    link = out / "r.json"
    link.symlink_to(park)
    line = one_error(run(["pareto", park, "--out", out / "p.xlsx", "--json", link]))
    assert "refusing to write over the input workbook" in line
    assert park.read_bytes() == before and names(out) == ["r.json"]


def test_a_refused_output_leaves_no_folder_behind(park: Path, out: Path):
    target = out / "new" / "deeper" / "r.xlsx"
    result = run(["solve", park, "--out", target, "--json", out / "new" / "deeper"])
    assert "is the folder of" in one_error(result)
    bad = park_file(out, two_firm_park(flows=[]), "bad.xlsx")
    assert run(["solve", bad, "--out", target]).exit_code == 2  # a bad workbook, after the claim
    assert names(out) == ["bad.xlsx"]


# --- locks --------------------------------------------------------------------------------


def test_an_output_another_run_is_writing_is_refused_at_once(park: Path, out: Path):
    report = out / "r.xlsx"
    report.write_text("the other run's report")
    other = RunLock(out / "r.json")  # held by "another run"
    other.acquire()
    try:
        line = one_error(run(["solve", park, "--out", report, "--json", out / "r.json"]))
        assert line.startswith(f"error: {out / 'r.json'}: another ecopark run is writing this file")
        assert report.read_text() == "the other run's report"
        assert names(out) == [".r.json.lock", "r.xlsx"]  # its lock, not ours
    finally:
        other.release()


def test_a_lock_file_left_by_a_killed_run_does_not_block(park: Path, out: Path):
    run_lock_path(out / "r.xlsx").write_text("")
    result = run(["solve", park, "--out", out / "r.xlsx", "--quiet"])
    assert result.exit_code == 0, result.output
    assert names(out) == ["r.xlsx", "r_network.png"]


# --- written together, or not at all ------------------------------------------------------


def old_outputs(out: Path) -> dict[str, bytes]:
    old = {"r.xlsx": b"old report", "r_network.png": b"old picture", "r.json": b"{}"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    return old


def test_an_interrupt_while_the_json_is_written_keeps_the_old_report(park, out, monkeypatch):
    old = old_outputs(out)

    def interrupted(data, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(jsonout, "write_json", interrupted)
    result = run(["solve", park, "--out", out / "r.xlsx", "--json", out / "r.json"])
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == ("interrupted by Ctrl-C; the outputs were not written")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


def test_a_full_disk_is_exit_2_naming_the_file(park, out, monkeypatch):
    old = old_outputs(out)

    def disk_full(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", disk_full)
    result = run(["solve", park, "--out", out / "r.xlsx", "--json", out / "r.json", "--quiet"])
    line = one_error(result)
    assert line == f"error: {out / 'r.xlsx'}: cannot write the file (No space left on device)"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


def test_a_refused_rename_is_exit_2_naming_the_file(park, out, monkeypatch):
    real_replace = os.replace

    def denied(src, dst):
        if str(dst).endswith(".json"):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", denied)
    result = run(["solve", park, "--out", out / "r.xlsx", "--json", out / "r.json", "--quiet"])
    assert one_error(result).endswith("r.json: cannot write the file (Permission denied)")
    assert not any(".tmp" in n or ".lock" in n for n in names(out))


# --- template and generate ------------------------------------------------------------------


def test_template_refuses_to_replace_a_file_unless_forced(park: Path):
    filled = park.read_bytes()
    line = one_error(run(["template", park]))
    assert line == f"error: {park}: already exists; use --force to overwrite it"
    assert park.read_bytes() == filled
    result = run(["template", park, "--force", "--quiet"])
    assert result.exit_code == 0, result.output
    assert park.read_bytes() != filled


def test_template_and_generate_refuse_a_device(tmp_path: Path):
    link = tmp_path / "t.xlsx"
    link.symlink_to("/dev/null")
    assert "is a device" in one_error(run(["template", link, "--force"]))
    assert link.is_symlink()
    fifo = tmp_path / "p.xlsx"
    os.mkfifo(fifo)
    line = one_error(run(["generate", fifo, "--firms", "3", "--force"]))
    assert "is a FIFO" in line and fifo.is_fifo()
