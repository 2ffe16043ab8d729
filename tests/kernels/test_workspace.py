"""Buffers kept from step to step: the shared workspace and reused results."""

import numpy

from minialex.kernels.workspace import Workspace, reusable


def test_a_workspace_hands_out_one_buffer_per_name_and_dtype():
    workspace, like = Workspace(), numpy.zeros(1, dtype=numpy.float32)
    a = workspace.get("columns", (4, 5), numpy.float32, like)
    b = workspace.get("columns", (2, 3), numpy.float32, like)       # smaller: the same memory
    assert a.shape == (4, 5) and b.shape == (2, 3) and numpy.shares_memory(a, b)
    c = workspace.get("dy", (2, 3), numpy.float32, like)             # another name: its own
    d = workspace.get("columns", (2, 3), numpy.float64, like)        # another dtype: its own
    assert not numpy.shares_memory(b, c) and not numpy.shares_memory(b, d)
    e = workspace.get("columns", (10, 10), numpy.float32, like)      # larger: grown
    assert e.shape == (10, 10) and e.flags.c_contiguous


def test_reusable_returns_the_old_array_only_when_it_fits():
    like = numpy.zeros(1, dtype=numpy.float32)
    old = numpy.empty((3, 4), dtype=numpy.float32)
    assert reusable(old, (3, 4), numpy.float32, like) is old
    assert reusable(old, (4, 3), numpy.float32, like) is not old
    assert reusable(old, (3, 4), numpy.float64, like) is not old
    assert reusable(old.T.copy().T, (3, 4), numpy.float32, like) is not old   # not C order
    assert reusable(None, (3, 4), numpy.float32, like).shape == (3, 4)
