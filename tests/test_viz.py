"""Plots: the pieces that carry meaning (neighbours, the tower split of Figure 3)."""

import numpy
import pytest

from minialex import viz


def test_nearest_neighbours_by_euclidean_distance(rng):
    bank = rng.standard_normal((50, 7))
    queries = bank[[3, 17]] + 1e-3          # each query sits on a bank row
    nearest = viz.nearest_neighbours(queries, bank, k=4)
    assert nearest.shape == (2, 4)
    assert list(nearest[:, 0]) == [3, 17]
    distances = ((queries[:, None, :] - bank[None]) ** 2).sum(-1)
    numpy.testing.assert_array_equal(nearest, numpy.argsort(distances, axis=1)[:, :4])


def test_filter_grid_puts_each_towers_kernels_in_its_block():
    weights = numpy.zeros((4, 3, 2, 2))
    weights[:2, 0] = 1.0        # tower 1: red kernels
    weights[2:, 2] = 1.0        # tower 2: blue kernels
    first, second = viz.filter_grid(weights, towers=2, columns=2)
    tile = first[1:3, 1:3]
    assert numpy.all(tile[..., 0] == 1) and numpy.all(tile[..., 2] == 0)
    tile = second[1:3, 1:3]
    assert numpy.all(tile[..., 2] == 1) and numpy.all(tile[..., 0] == 0)
    with pytest.raises(ValueError, match="conv1 weights"):
        viz.filter_grid(numpy.zeros((4, 1, 2, 2)))


def test_curves_without_validation_columns(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5\n"
                       "1,0.01,2.0,0.8,,,\n2,0.01,1.5,0.6,,,\n")
    out = viz.plot_curves(history, tmp_path / "curves.png")
    with open(out, "rb") as f:
        assert f.read(4) == b"\x89PNG"
    empty = tmp_path / "empty.csv"
    empty.write_text("epoch,lr\n")
    with pytest.raises(ValueError, match="no epochs"):
        viz.plot_curves(empty, tmp_path / "x.png")
