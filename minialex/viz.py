"""Pictures of a run: learning curves, conv1's kernels (Figure 3), nearest neighbours (Figure 4).

Drawn with matplotlib's object API on an Agg canvas: nothing global is switched, no window
opens, and each function writes one PNG.
"""

import csv

import numpy

from .backend import asnumpy


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def read_history(path):
    """``history.csv`` as a dict of columns (floats; missing values as NaN)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path!r} has no epochs yet")
    return {key: numpy.array([float(r[key]) if r.get(key) not in (None, "") else numpy.nan
                              for r in rows]) for key in rows[0]}


def plot_curves(history_csv, out_png):
    """Loss (left) and top-1 / top-5 error (right) per epoch, training and validation."""
    h = read_history(history_csv)
    figure = _figure(10, 4)
    loss_ax, error_ax = figure.subplots(1, 2)
    epochs = h["epoch"]
    loss_ax.plot(epochs, h["train_loss"], "o-", label="training")
    if not numpy.all(numpy.isnan(h.get("val_loss", [numpy.nan]))):
        loss_ax.plot(epochs, h["val_loss"], "s-", label="validation")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    error_ax.plot(epochs, 100 * h["train_top1"], "o-", label="training top-1")
    if not numpy.all(numpy.isnan(h.get("val_top1", [numpy.nan]))):
        error_ax.plot(epochs, 100 * h["val_top1"], "s-", label="validation top-1")
        error_ax.plot(epochs, 100 * h["val_top5"], "^-", label="validation top-5")
    error_ax.set(xlabel="epoch", ylabel="error (%)", title="error rate")
    for ax in (loss_ax, error_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(out_png)
    return out_png


def filter_grid(weights, towers=2, columns=None):
    """conv1 weights (O, 3, kh, kw) -> one RGB image per tower: the kernels as tiles.

    Each kernel is scaled to [0, 1] on its own (as in the paper's Figure 3); tower t holds
    kernels ``t*O/towers .. (t+1)*O/towers - 1``, the maps its GPU learned.
    """
    w = asnumpy(weights).astype(numpy.float64)
    if w.ndim != 4 or w.shape[1] != 3:
        raise ValueError(f"filter_grid: expected conv1 weights (O, 3, kh, kw), got {w.shape}")
    o, _, kh, kw = w.shape
    low = w.min(axis=(1, 2, 3), keepdims=True)
    high = w.max(axis=(1, 2, 3), keepdims=True)
    w = (w - low) / numpy.maximum(high - low, 1e-12)
    per_tower = o // towers
    columns = columns or int(numpy.ceil(numpy.sqrt(per_tower * 2)))
    rows = int(numpy.ceil(per_tower / columns))
    grids = []
    for t in range(towers):
        grid = numpy.ones((rows * (kh + 1) + 1, columns * (kw + 1) + 1, 3))
        for i in range(per_tower):
            r, c = divmod(i, columns)
            grid[1 + r * (kh + 1):1 + r * (kh + 1) + kh,
                 1 + c * (kw + 1):1 + c * (kw + 1) + kw] = w[t * per_tower + i].transpose(1, 2, 0)
        grids.append(grid)
    return grids


def plot_filters(weights, out_png, towers=2):
    """Figure 3: conv1's kernels, one block per tower."""
    grids = filter_grid(weights, towers)
    figure = _figure(5 * towers, 4)
    axes = numpy.atleast_1d(figure.subplots(1, towers))
    for t, (ax, grid) in enumerate(zip(axes, grids)):
        ax.imshow(grid, interpolation="nearest")
        ax.set_title(f"tower {t + 1}" if towers > 1 else "conv1")
        ax.axis("off")
    figure.suptitle(f"conv1: {len(asnumpy(weights))} kernels of {asnumpy(weights).shape[2]}x"
                    f"{asnumpy(weights).shape[3]}x3")
    figure.tight_layout()
    figure.savefig(out_png)
    return out_png


def nearest_neighbours(query_features, bank_features, k=6):
    """Indices (Q, k) of the k bank rows nearest each query row by Euclidean distance."""
    q = numpy.asarray(query_features, dtype=numpy.float64)
    b = numpy.asarray(bank_features, dtype=numpy.float64)
    distances = (q * q).sum(1)[:, None] - 2 * q @ b.T + (b * b).sum(1)[None, :]
    return numpy.argsort(distances, axis=1, kind="stable")[:, :k]


def plot_neighbours(query_images, bank_images, neighbours, out_png):
    """Figure 4: each query image (first column) beside its nearest training images.

    Images are uint8 (N, 3, H, W).
    """
    q, k = neighbours.shape
    figure = _figure(1.2 * (k + 1), 1.2 * q)
    axes = figure.subplots(q, k + 1, squeeze=False)
    for row in range(q):
        pictures = [query_images[row]] + [bank_images[j] for j in neighbours[row]]
        for col, picture in enumerate(pictures):
            ax = axes[row, col]
            ax.imshow(numpy.asarray(picture).transpose(1, 2, 0))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel("test", fontsize=8)
    axes[0, 0].set_title("query", fontsize=8)
    for col in range(1, k + 1):
        axes[0, col].set_title(f"#{col}", fontsize=8)
    figure.suptitle("nearest training images by Euclidean distance of fc7 activations")
    figure.tight_layout()
    figure.savefig(out_png)
    return out_png


def features(model, x, layer_name="relu7"):
    """The activations of ``model`` (one tower, eval mode) after ``layer_name``."""
    h = x
    for name, layer in model.layers():
        h = layer.forward(h)
        if name == layer_name:
            return asnumpy(h)
    raise ValueError(f"features: the model has no layer named {layer_name!r}")


__all__ = ["plot_curves", "plot_filters", "plot_neighbours", "nearest_neighbours", "features",
           "filter_grid", "read_history"]
