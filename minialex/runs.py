"""Run folders: where ``minialex train`` writes, and the rules that keep a finished run safe.

* A folder *holds a run* when it has a ``checkpoint.npz`` or a ``history.csv``.
* Without ``--out`` every new run gets a folder of its own: ``runs/alexnet_cifar-shapes``, then
  ``runs/alexnet_cifar-shapes-2``, ``-3``... (numbered after the highest that holds a run,
  skipping any that another training is using), so running the same command twice never
  replaces anything; ``--resume`` without ``--out`` continues the one written last.
* An explicit ``--out`` that holds a run is refused, unless ``--resume`` (continue it) or
  ``--overwrite`` (replace it: the new run's files take the old ones' place as they are
  written, so a run that fails to start leaves the old one whole).
* One training per folder at a time: :class:`RunLock` takes an exclusive ``flock`` on
  ``.minialex.lock`` for as long as the training runs. The operating system releases it when
  the process ends however it ends (SIGKILL included), so a lock is never left stale.
* A write killed half-way leaves a hidden ``.tmp-*`` file (``minialex.files.atomic_write``);
  the next training to take the folder's lock removes them.
"""

import os
from pathlib import Path

try:                    # POSIX; elsewhere the folder is used without a lock
    import fcntl
except ImportError:     # pragma: no cover - depends on the platform
    fcntl = None

RUN_FILES = ("checkpoint.npz", "history.csv")
ARTEFACTS = ("test.json", "curves.png", "filters.png", "neighbours.png")
LOCK_FILE = ".minialex.lock"
TEMPORARY_PREFIX = ".tmp-"


class RunFolderError(ValueError):
    """A run folder that cannot be used as asked (the message says why and what to do)."""


def holds_a_run(folder):
    """True when ``folder`` has the files of a run (a checkpoint or a history)."""
    return any((Path(folder) / name).exists() for name in RUN_FILES)


def check_is_folder(folder):
    """Refuse a path that exists but is not a folder."""
    if Path(folder).exists() and not Path(folder).is_dir():
        raise RunFolderError(f"--out {folder} is a file, not a folder; choose another --out")


class RunLock:
    """``with RunLock(folder):`` holds the folder for one training (module docstring).

    Raises :class:`RunFolderError` naming the other training's process when the folder is
    already held; ``acquire(raise_if_held=False)`` returns False instead.
    """

    def __init__(self, folder):
        self.folder, self._file = Path(folder), None

    def acquire(self, raise_if_held=True):
        check_is_folder(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / LOCK_FILE, "a+")
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                if not raise_if_held:
                    return False
                raise RunFolderError(
                    f"{self.folder} is in use by another minialex train (process {holder}); "
                    "wait for it to finish, or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self):
        if self._file is not None:
            self._file.close()          # closing the file releases the flock
            self._file = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def claim(out, default, resume=False, overwrite=False):
    """The folder this training will use, locked: ``(folder, lock)``.

    ``out``: the ``--out`` given, or None for ``default`` (numbered as the module docstring
    says). Refuses, with a message naming ``--resume`` and ``--overwrite``, an explicit folder
    that holds a run; refuses ``--resume`` where there is no run to continue. Nothing is
    deleted here: with ``overwrite`` the new run replaces the old one's files as it writes its
    own (``Trainer(overwrite=True)``), so a run that fails to start leaves the old one whole.
    """
    if resume and overwrite:
        raise RunFolderError("--resume continues a run and --overwrite replaces it: give one")
    if overwrite and out is None:
        raise RunFolderError("--overwrite replaces the run in --out: give --out RUN_FOLDER")
    if out is None and resume:
        out = latest(default)
        if out is None:
            raise RunFolderError(f"--resume: there is no run in {default} to continue; give "
                                 "--out RUN_FOLDER")
    if out is not None:
        check_is_folder(out)
        _check_explicit(Path(out), resume, overwrite)      # before anything is created
        lock = RunLock(out)
        lock.acquire()
        _check_explicit(Path(out), resume, overwrite)      # and again, now that it is ours
        remove_temporaries(out)
        return str(out), lock
    for candidate in _new_folders(default):
        if candidate.exists() and (not candidate.is_dir() or holds_a_run(candidate)):
            continue
        lock = RunLock(candidate)
        if lock.acquire(raise_if_held=False):
            if holds_a_run(candidate):          # written between the check and the lock
                lock.release()
                continue
            remove_temporaries(candidate)
            return str(candidate), lock


def _check_explicit(folder, resume, overwrite):
    if resume and not holds_a_run(folder):
        raise RunFolderError(f"--resume: {folder} holds no run to continue (no "
                             "checkpoint.npz); drop --resume to start one there")
    if not resume and not overwrite and holds_a_run(folder):
        raise RunFolderError(
            f"{folder} already holds a run; add --resume to continue it, --overwrite to "
            "replace it, or choose another --out")


def numbered(default):
    """``default``, ``default-2``, ``default-3``, ... without end."""
    yield Path(default)
    number = 2
    while True:
        yield Path(f"{default}-{number}")
        number += 1


def existing(default):
    """``[(number, folder)]`` of ``default`` (number 1) and every ``default-N`` folder there is,
    in order of number."""
    base = Path(default)
    found = [(1, base)] if base.is_dir() else []
    for path in base.parent.glob(base.name + "-*"):
        suffix = path.name[len(base.name) + 1:]
        if suffix.isdigit() and path.is_dir():
            found.append((int(suffix), path))
    return sorted(found)


def _new_folders(default):
    """Where a new run may go: the numbers after the highest one that holds a run."""
    taken = [number for number, folder in existing(default) if holds_a_run(folder)]
    first = max(taken, default=0) + 1
    for number, folder in enumerate(numbered(default), start=1):
        if number >= first:
            yield folder


def latest(default):
    """The folder of ``default`` whose run was written last (its newest run file), or None."""
    runs = [folder for _, folder in existing(default) if holds_a_run(folder)]
    if not runs:
        return None
    return max(runs, key=lambda folder: max((folder / name).stat().st_mtime
                                            for name in RUN_FILES if (folder / name).exists()))


def release_and_tidy(folder, lock):
    """Release the lock; a folder this training made but never wrote a run into is removed."""
    lock.release()
    folder = Path(folder)
    if folder.is_dir() and not holds_a_run(folder) and \
            {p.name for p in folder.iterdir()} <= {LOCK_FILE}:
        (folder / LOCK_FILE).unlink(missing_ok=True)
        folder.rmdir()


def remove_temporaries(folder):
    """Remove the ``.tmp-*`` files a killed write left in ``folder``; returns their names."""
    removed = []
    for path in Path(folder).glob(TEMPORARY_PREFIX + "*"):
        if path.is_file():
            path.unlink()
            removed.append(path.name)
    return removed
