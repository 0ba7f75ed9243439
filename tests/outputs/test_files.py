"""Safe output files: the whole output set checked before any work, run locks, writes that
appear together at the end or not at all (README.md, "Output rules")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecopark_opt.errors import InputError
from ecopark_opt.outputs import files
from ecopark_opt.outputs.files import (
    RunLock,
    atomic_write,
    check_outputs,
    claim_outputs,
    commit_outputs,
    release_outputs,
    run_lock_path,
)


@pytest.fixture(autouse=True)
def no_claim_left():
    yield
    release_outputs()


def refused(outputs, inputs=()) -> str:
    with pytest.raises(InputError) as info:
        check_outputs(outputs, inputs)
    (line,) = info.value.problems
    return line


def test_a_device_is_refused_before_anything_is_written():
    # only checked here, never written: the check is what keeps /dev/null a device
    assert refused(["/dev/null"]).startswith("/dev/null: is a device, not a regular file")


def test_a_fifo_a_folder_and_a_file_as_folder_are_refused(tmp_path: Path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert refused([fifo]).startswith(f"{fifo}: is a FIFO (named pipe), not a regular file")
    assert "is a folder" in refused([tmp_path])
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert refused([blocker / "r.json"]) == f"{blocker / 'r.json'}: {blocker} is not a folder"


def test_a_symlink_to_a_device_is_refused(tmp_path: Path):
    link = tmp_path / "r.json"
    link.symlink_to("/dev/null")
    assert refused([link]).startswith(f"{link}: is a device")


def test_a_standard_stream_is_refused(tmp_path: Path):
    # a terminal, a pipe or a file: never replaced (e.g. --json /dev/stdout > out.txt)
    assert refused(["/dev/stdout"]).startswith("/dev/stdout: is ")
    redirected = tmp_path / "in.txt"
    redirected.write_text("")
    saved, fd = os.dup(0), os.open(redirected, os.O_RDONLY)
    os.dup2(fd, 0)
    try:
        line = refused([redirected])
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(fd)
    assert (
        line
        == f"{redirected}: is this run's standard input; outputs are regular files of their own"
    )


def test_two_outputs_that_are_one_file_are_refused(tmp_path: Path):
    report, picture = tmp_path / "r.xlsx", tmp_path / "r_network.png"
    line = refused([report, picture, tmp_path / "sub" / ".." / "r_network.png"])
    assert "the same file as" in line and str(picture) in line
    picture.write_bytes(b"png")
    link = tmp_path / "link.png"
    link.symlink_to(picture)
    assert "the same file as" in refused([report, picture, link])
    hard = tmp_path / "hard.png"
    os.link(picture, hard)
    assert "the same file as" in refused([report, picture, hard])


def test_an_output_that_is_an_input_lock_file_or_folder_of_another_is_refused(tmp_path: Path):
    book = tmp_path / "park.xlsx"
    book.write_bytes(b"PK")
    link = tmp_path / "alias.json"
    link.symlink_to(book)
    assert "refusing to write over the input workbook" in refused([link], [book])
    report = tmp_path / "r.xlsx"
    assert "is the lock file of" in refused([report, tmp_path / ".r.xlsx.lock"])
    assert "is the folder of" in refused([tmp_path / "x" / "r.xlsx", tmp_path / "x"])


def test_outputs_not_given_are_skipped(tmp_path: Path):
    out = [tmp_path / "r.xlsx", None, tmp_path / "r.json"]
    assert check_outputs(out, [None]) == [tmp_path / "r.xlsx", tmp_path / "r.json"]


def test_a_run_lock_refuses_a_second_holder_and_is_removed_on_release(tmp_path: Path):
    out = tmp_path / "r.xlsx"
    first, second = RunLock(out), RunLock(out)
    first.acquire()
    assert run_lock_path(out).exists()
    with pytest.raises(InputError, match="another ecopark run is writing this file"):
        second.acquire()
    first.release()
    assert not run_lock_path(out).exists()
    second.acquire()  # free again
    second.release()


def test_a_lock_file_left_by_a_killed_run_does_not_block(tmp_path: Path):
    out = tmp_path / "r.xlsx"
    run_lock_path(out).write_text("")  # what kill -9 leaves: a file, no lock
    lock = RunLock(out)
    lock.acquire()
    lock.release()
    assert list(tmp_path.iterdir()) == []


def test_a_run_refused_a_lock_leaves_the_holder_s_staged_file_alone(tmp_path: Path):
    """Seen: a second run that wanted the first run's --write-model file stopped with
    "another ecopark run is writing this file" and, on its way out, swept the first run's
    staged file away, so that run then failed to put its model file in place."""
    model = tmp_path / "same.mps"
    claim_outputs([tmp_path / "a.xlsx", model])
    atomic_write(model, lambda tmp: tmp.write_text("the first run's model"))
    (staged,) = tmp_path.glob(".same.mps.*.tmp*")
    second = files.OutputSet([tmp_path / "b.xlsx", model])
    with pytest.raises(InputError, match="another ecopark run is writing this file"):
        second.lock()
    second.release()
    assert staged.exists()
    commit_outputs()
    assert model.read_text() == "the first run's model"


def test_claimed_outputs_appear_together_at_commit(tmp_path: Path):
    report, data = tmp_path / "r.xlsx", tmp_path / "r.json"
    report.write_text("old report")
    claim_outputs([report, data])
    atomic_write(report, lambda tmp: tmp.write_text("new report"))
    atomic_write(data, lambda tmp: tmp.write_text("new json"))
    assert report.read_text() == "old report" and not data.exists()
    commit_outputs()
    assert report.read_text() == "new report" and data.read_text() == "new json"
    release_outputs()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.xlsx"]


def test_an_uncommitted_run_changes_nothing_and_leaves_no_file(tmp_path: Path):
    report = tmp_path / "r.xlsx"
    report.write_text("old report")
    claim_outputs([report, tmp_path / "new" / "deeper" / "r.json"])
    atomic_write(report, lambda tmp: tmp.write_text("new report"))
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "new" / "deeper" / "r.json", _interrupted)
    release_outputs()
    assert report.read_text() == "old report"
    # no temporary file, no lock file, and the folders made for the run are gone again
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def _interrupted(tmp: Path) -> None:
    tmp.write_text("half")
    raise KeyboardInterrupt


def test_writing_an_unclaimed_path_during_a_run_is_refused(tmp_path: Path):
    claim_outputs([tmp_path / "r.xlsx"])
    with pytest.raises(RuntimeError, match="not among the outputs claimed"):
        atomic_write(tmp_path / "other.json", lambda tmp: tmp.write_text("{}"))
    assert not (tmp_path / "other.json").exists()


def test_a_failed_write_names_the_path_and_leaves_nothing(tmp_path: Path):
    out = tmp_path / "r.json"
    out.write_text("old")

    def disk_full(tmp: Path) -> None:
        tmp.write_text("par")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match=f"{out}: cannot write the file \\(No space left"):
        atomic_write(out, disk_full)
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_failed_rename_at_commit_is_an_input_error(tmp_path: Path, monkeypatch):
    out = tmp_path / "r.json"
    claim_outputs([out])
    atomic_write(out, lambda tmp: tmp.write_text("{}"))

    def denied(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", denied)
    with pytest.raises(InputError, match=f"{out}: cannot write the file \\(Permission denied"):
        commit_outputs()
    monkeypatch.undo()
    release_outputs()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_itself_never_replaces_a_fifo(tmp_path: Path):
    fifo = tmp_path / "r.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is a FIFO"):
        atomic_write(fifo, lambda tmp: tmp.write_text("{}"))
    assert fifo.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_symlinked_output_writes_its_target_and_keeps_the_link(tmp_path: Path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "r.json"
    link.symlink_to(target.name)
    atomic_write(link, lambda tmp: tmp.write_text("new"))
    assert link.is_symlink() and target.read_text() == "new"
