"""Data parallelism over MPI: the same training as one process, split between workers.

The multi-process tests start ``mpiexec -n 2`` (from the ``mpi`` extra, which ``dev`` includes)
and skip with a reason where it is missing.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy
import pytest

from minialex import distributed
from minialex.data import Loader
from minialex.train import load_checkpoint

MPIEXEC = shutil.which("mpiexec")
try:
    import mpi4py  # noqa: F401
except ImportError:
    mpi4py = None
needs_mpi = pytest.mark.skipif(MPIEXEC is None or mpi4py is None,
                               reason="needs mpi4py and mpiexec: pip install -e '.[mpi]'")

RUN = ["--model", "figure1_net", "--limit", "120", "--batch-size", "40", "--no-progress",
       "--dropout", "none", "--augment", "none"]


def train(out, epochs, workers=1, extra=()):
    command = [sys.executable, "-m", "minialex", "train", *RUN, "--epochs", str(epochs),
               "--out", str(out), *extra]
    if workers > 1:
        command = [MPIEXEC, "-n", str(workers), *command, "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def weights(out):
    return load_checkpoint(os.path.join(out, "checkpoint.npz"))["model"]


def largest_relative_difference(a, b):
    return max(float(numpy.abs(a[k] - b[k]).max() / max(numpy.abs(b[k]).max(), 1e-30))
               for k in b)


@needs_mpi
def test_two_workers_train_what_one_process_trains_and_resume_at_any_count(tmp_path):
    # No dropout and no augmentation: then the two workers' summed gradients are the one
    # process's, up to the order of float32 additions.
    one, two = tmp_path / "one", tmp_path / "two"
    train(one, 2)
    log = train(two, 2, workers=2)
    assert "2 workers" in log and log.count("epoch   2") == 1        # worker 0 alone logs
    assert largest_relative_difference(weights(two), weights(one)) < 1e-5
    assert sorted(os.listdir(two)) == sorted(os.listdir(one))
    # a run written by two workers resumes in one process, and one's resumes in two
    train(two, 3, extra=("--resume",))
    train(one, 3, workers=2, extra=("--resume",))
    # each epoch lets the float32 differences grow (2e-4 measured after the third)
    assert largest_relative_difference(weights(two), weights(one)) < 1e-3
    for run in (one, two):
        assert load_checkpoint(os.path.join(run, "checkpoint.npz"))["meta"]["epoch"] == 3


@needs_mpi
def test_every_worker_holds_the_same_weights_after_every_step():
    # Each worker draws its own dropout masks and augmentation, and computes on its own slice;
    # the reduced gradient and the update must still be bit-identical everywhere.
    script = os.path.join(os.path.dirname(__file__), "mpi_identical_weights.py")
    done = subprocess.run([MPIEXEC, "-n", "2", sys.executable, script, "4"],
                          capture_output=True, text=True, timeout=300,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "identical after 4 steps"


@needs_mpi
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker in /proc")
def test_a_killed_worker_ends_the_run_and_the_checkpoint_stays_loadable(tmp_path):
    out = tmp_path / "run"
    command = [MPIEXEC, "-n", "2", sys.executable, "-m", "minialex", "train", *RUN,
               "--epochs", "50", "--out", str(out), "--distributed"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=os.path.dirname(os.path.dirname(__file__)))
    checkpoint = out / "checkpoint.npz"
    deadline = time.time() + 240
    while not checkpoint.exists() and time.time() < deadline and run.poll() is None:
        time.sleep(0.2)
    assert checkpoint.exists(), "no checkpoint was written"
    victim = worker_pid(rank=1, marker=str(out))
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode != 0
    said = stdout + stderr                  # mpiexec (MPICH's hydra) says a worker died, how
    assert "BAD TERMINATION" in said and "signal 9" in said, said[-2000:]
    assert load_checkpoint(str(checkpoint))["meta"]["epoch"] >= 1


def worker_pid(rank, marker):
    """The pid of the MPI worker of ``rank`` whose command line holds ``marker``."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        ranks = {f"PMI_RANK={rank}", f"OMPI_COMM_WORLD_RANK={rank}"}    # MPICH, Open MPI
        if marker in cmdline and "mpiexec" not in cmdline and ranks & set(environ):
            return int(pid)
    raise AssertionError(f"no worker of rank {rank} found")


@needs_mpi
def test_a_batch_that_does_not_divide_is_refused_before_training(tmp_path):
    command = [MPIEXEC, "-n", "3", sys.executable, "-m", "minialex", "train", *RUN,
               "--epochs", "1", "--out", str(tmp_path / "run"), "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "--batch-size 40 does not divide between 3 workers" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_without_mpi4py_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)       # import mpi4py fails
    with pytest.raises(distributed.DistributedError, match=r"minialex\[mpi\]"):
        distributed.mpi_world()


def test_single_process_training_never_imports_mpi4py():
    code = ("import sys, minialex.cli, minialex.train, minialex.recipe, minialex.distributed; "
            "print('mpi4py' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_the_workers_slices_cover_each_batch_once_and_draw_their_own_randomness():
    images, labels = numpy.arange(10 * 2).reshape(10, 2).astype(float), numpy.arange(10)
    seen = []
    for rank in range(3):
        loader = Loader(images, labels, batch_size=4, shuffle=True, seed=1, shard=(rank, 3),
                        prefetch=0)
        seen.append([y.tolist() for _, y in loader])
    whole = [y.tolist() for _, y in Loader(images, labels, batch_size=4, shuffle=True, seed=1,
                                           prefetch=0)]
    for index, batch in enumerate(whole):
        assert sorted(sum((seen[rank][index] for rank in range(3)), [])) == sorted(batch)
    one = Loader(images, labels, shard=(0, 1)).batch_rng(0, 5).random()
    assert one == Loader(images, labels).batch_rng(0, 5).random()       # N=1: as before
    assert Loader(images, labels, shard=(1, 2)).batch_rng(0, 5).random() != one
    with pytest.raises(ValueError, match="shard rank 3 is not below the size 3"):
        Loader(images, labels, shard=(3, 3))


def test_check_batch():
    distributed.check_batch(128, 4)
    with pytest.raises(distributed.DistributedError, match="does not divide between 3"):
        distributed.check_batch(128, 3)


def test_two_towers_per_worker_are_refused_before_any_work(tmp_path):
    from types import SimpleNamespace

    from minialex import recipe
    config = recipe.complete({"towers": 2})
    with pytest.raises(ValueError, match="two towers in each worker are not supported"):
        recipe.run_training(config, str(tmp_path / "run"),
                            distributed=SimpleNamespace(rank=0, size=2))
    assert not (tmp_path / "run").exists()
