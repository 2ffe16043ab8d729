"""Run folders: never overwritten by default, one training at a time, no stale temporaries."""

import os
import signal
import subprocess
import sys
import time

import pytest

from minialex import runs
from minialex.runs import RunFolderError, RunLock, claim


def finished_run(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkpoint.npz").write_bytes(b"a finished run")
    (folder / "history.csv").write_text("epoch\n1\n")
    (folder / "filters.png").write_bytes(b"its picture")
    return folder


def test_a_new_run_without_out_takes_the_next_free_number(tmp_path):
    base = tmp_path / "runs" / "alexnet_cifar-shapes"
    folder, lock = claim(None, base)
    assert folder == str(base)
    lock.release()
    finished_run(base)
    folder, lock = claim(None, base)
    assert folder == f"{base}-2"
    lock.release()
    finished_run(tmp_path / "runs" / "alexnet_cifar-shapes-2")
    folder, lock = claim(None, base)
    assert folder == f"{base}-3"
    lock.release()
    assert (base / "checkpoint.npz").read_bytes() == b"a finished run"


def test_a_folder_in_use_is_skipped_by_the_numbering(tmp_path):
    base = tmp_path / "run"
    with RunLock(base):
        folder, lock = claim(None, base)
        assert folder == f"{base}-2"
        lock.release()


def test_an_explicit_out_holding_a_run_is_refused(tmp_path):
    folder = finished_run(tmp_path / "mine")
    with pytest.raises(RunFolderError, match="--resume.*--overwrite"):
        claim(str(folder), None)
    assert (folder / "checkpoint.npz").read_bytes() == b"a finished run"
    assert (folder / "filters.png").read_bytes() == b"its picture"


def test_overwrite_replaces_and_resume_continues(tmp_path):
    folder = finished_run(tmp_path / "mine")
    _, lock = claim(str(folder), None, resume=True)
    lock.release()
    assert (folder / "checkpoint.npz").exists()
    _, lock = claim(str(folder), None, overwrite=True)     # allowed, and nothing deleted yet:
    lock.release()                                         # the new run replaces it as it writes
    assert (folder / "checkpoint.npz").read_bytes() == b"a finished run"
    with pytest.raises(RunFolderError, match="give one"):
        claim(str(folder), None, resume=True, overwrite=True)
    with pytest.raises(RunFolderError, match="give --out"):
        claim(None, tmp_path / "base", overwrite=True)


def test_resume_needs_a_run(tmp_path):
    with pytest.raises(RunFolderError, match="holds no run"):
        claim(str(tmp_path / "empty"), None, resume=True)
    assert not (tmp_path / "empty").exists()              # refused before making anything
    with pytest.raises(RunFolderError, match="no run in"):
        claim(None, tmp_path / "nothing", resume=True)
    finished_run(tmp_path / "base")
    finished_run(tmp_path / "base-3")                      # a gap where -2 was deleted
    os.utime(tmp_path / "base" / "checkpoint.npz", (1, 1))   # base-3 was written last
    os.utime(tmp_path / "base" / "history.csv", (1, 1))
    folder, lock = claim(None, tmp_path / "base", resume=True)
    lock.release()
    assert folder == str(tmp_path / "base-3")
    folder, lock = claim(None, tmp_path / "base")          # a new run goes after the highest
    runs.release_and_tidy(folder, lock)
    assert folder == str(tmp_path / "base-4") and not (tmp_path / "base-4").exists()


def test_out_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(RunFolderError, match="is a file"):
        claim(str(tmp_path / "file"), None)


def test_a_second_training_in_the_same_folder_is_refused(tmp_path):
    with RunLock(tmp_path / "run"):
        with pytest.raises(RunFolderError, match=f"in use .*process {os.getpid()}"):
            claim(str(tmp_path / "run"), None)
    _, lock = claim(str(tmp_path / "run"), None)          # free again once released
    lock.release()


def test_a_killed_training_leaves_no_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from minialex.runs import RunLock; "
        f"lock = RunLock({str(tmp_path / 'run')!r}); lock.acquire(); print('held', flush=True); "
        "time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderError, match="in use"):
            claim(str(tmp_path / "run"), None)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    deadline = time.time() + 10
    while True:                                   # the kernel drops the lock with the process
        try:
            _, lock = claim(str(tmp_path / "run"), None)
            break
        except RunFolderError:
            assert time.time() < deadline
            time.sleep(0.05)
    lock.release()


def test_stale_temporaries_are_removed_when_a_training_starts(tmp_path):
    folder = finished_run(tmp_path / "run")
    (folder / ".tmp-abc123.npz").write_bytes(b"x" * 1000)     # what a SIGKILL mid-write leaves
    (folder / ".tmp-def456.csv").write_bytes(b"x")
    _, lock = claim(str(folder), None, resume=True)
    lock.release()
    assert sorted(p.name for p in folder.iterdir()) == [".minialex.lock", "checkpoint.npz",
                                                         "filters.png", "history.csv"]


def test_a_file_in_the_numbering_is_passed_over(tmp_path):
    finished_run(tmp_path / "r")
    (tmp_path / "r-2").write_text("a file, not a run folder")
    folder, lock = claim(None, tmp_path / "r")
    lock.release()
    assert folder == str(tmp_path / "r-3")
