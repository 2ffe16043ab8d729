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


def history_with_a_cut():
    return {"epoch": numpy.arange(1.0, 8.0), "lr": numpy.array([0.01] * 4 + [0.001] * 3),
            "train_loss": numpy.linspace(2, 1, 7), "train_top1": numpy.linspace(0.9, 0.4, 7),
            "val_loss": numpy.linspace(2, 1.2, 7), "val_top1": numpy.linspace(0.9, 0.5, 7),
            "val_top5": numpy.linspace(0.5, 0.1, 7)}


def test_curves_mark_the_cut_with_whole_epochs_and_legends_off_the_data():
    h = history_with_a_cut()
    assert viz.learning_rate_cuts(h) == [(4, 0.01, 0.001)]
    figure = viz.curves_figure(h)
    figure.canvas.draw()
    for ax in figure.axes:
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 7]
        assert ticks and all(float(t).is_integer() for t in ticks)
        lines = [line for line in ax.get_lines() if list(line.get_xdata()) == [4.5, 4.5]]
        assert len(lines) == 1                             # the cut, between epochs 4 and 5
        legend = ax.get_legend().get_window_extent()
        assert legend.y1 <= ax.get_window_extent().y0      # below the plot, off the data


def test_neighbours_rows_are_labelled_by_class(rng):
    images = rng.integers(0, 255, (6, 3, 4, 4), dtype=numpy.uint8)
    nearest = numpy.array([[1, 2], [3, 4]])
    figure = viz.neighbours_figure(images[:2], images, nearest, numpy.array([0, 1]),
                                   numpy.array([0, 0, 1, 1, 0, 1]), ["circle", "square"])
    axes = numpy.array(figure.axes).reshape(2, 3)
    assert [axes[r, 0].get_ylabel() for r in range(2)] == ["circle", "square"]
    assert axes[0, 1].get_xlabel() == "circle" and axes[0, 2].get_xlabel() == "square"


def test_filters_say_when_they_are_still_noise(rng):
    start = rng.standard_normal((4, 3, 3, 3))
    little = viz.filters_figure(start + 0.1 * rng.standard_normal(start.shape), 2, start)
    assert "still mostly the random start" in little._suptitle.get_text()
    trained = viz.filters_figure(start + 3 * rng.standard_normal(start.shape), 2, start)
    assert "still mostly" not in trained._suptitle.get_text()
    assert viz.filter_change(2 * start, start) == pytest.approx(1.0)
