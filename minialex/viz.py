"""Pictures of a run: learning curves, conv1's kernels (Figure 3), nearest neighbours (Figure 4).

Drawn with matplotlib's object API on an Agg canvas: nothing global is switched, no window
opens, and each function writes one PNG.
"""

import csv

import numpy

from .backend import asnumpy
from .files import atomic_write


def new_figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure, out_png):
    """Write the PNG atomically: an old picture is replaced whole or not at all."""
    atomic_write(out_png, lambda f: figure.savefig(f, format="png"))
    return out_png


def read_history(path):
    """``history.csv`` as a dict of columns (floats; missing values as NaN)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path!r} has no epochs yet")
    return {key: numpy.array([float(r[key]) if r.get(key) not in (None, "") else numpy.nan
                              for r in rows]) for key in rows[0]}


def plot_curves(history_csv, out_png):
    """curves.png: :func:`curves_figure` of a run's ``history.csv``."""
    return save_png(curves_figure(read_history(history_csv)), out_png)


def curves_figure(h):
    """Loss (left) and top-1 / top-5 error (right) per epoch, training and validation, from
    the columns of a history (:func:`read_history`).

    Epochs are whole numbers on the axis; each epoch after which the learning rate changed
    gets a dotted line labelled with the old and new rate, and the legends sit below the
    plots, off the data.
    """
    from matplotlib.ticker import MaxNLocator

    figure = new_figure(10, 4.6)
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
    cuts = learning_rate_cuts(h)
    for ax in (loss_ax, error_ax):
        for epoch, old, new in cuts:
            ax.axvline(epoch + 0.5, color="grey", linestyle=":", linewidth=1)
            ax.annotate(f"lr {old:.2g} -> {new:.2g}", (epoch + 0.5, 1), xycoords=("data",
                        "axes fraction"), rotation=90, va="top", ha="right", fontsize=7,
                        color="grey")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8,
                  frameon=False)
    figure.tight_layout()
    return figure


def learning_rate_cuts(history):
    """``[(epoch, old lr, new lr)]``: the epochs after which the learning rate changed."""
    lr, epochs = history["lr"], history["epoch"]
    return [(int(epochs[i - 1]), float(lr[i - 1]), float(lr[i]))
            for i in range(1, len(lr)) if lr[i] != lr[i - 1]]


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


def plot_filters(weights, out_png, towers=2, initial=None):
    """filters.png: :func:`filters_figure`."""
    return save_png(filters_figure(weights, towers, initial), out_png)


def filters_figure(weights, towers=2, initial=None):
    """Figure 3: conv1's kernels, one block per tower.

    ``initial``: conv1's weights before training (the same seed rebuilds them). The title then
    says how far training moved them, ``|W - W0| / |W0|``; below 1, what was learned is
    smaller than the random start, and the title says the kernels are still mostly noise
    (measured: the built-in four-epoch run moves them by 0.24, fifteen epochs on Tiny ImageNet's
    ten classes by 0.17, thirty on the CIFAR-10 subset by 0.20).
    """
    grids = filter_grid(weights, towers)
    figure = new_figure(5 * towers, 4.3)
    axes = numpy.atleast_1d(figure.subplots(1, towers))
    for t, (ax, grid) in enumerate(zip(axes, grids)):
        ax.imshow(grid, interpolation="nearest")
        ax.set_title(f"tower {t + 1}" if towers > 1 else "conv1")
        ax.axis("off")
    shape = asnumpy(weights).shape
    title = f"conv1: {shape[0]} kernels of {shape[2]}x{shape[3]}x3"
    if initial is not None:
        moved = filter_change(weights, initial)
        title += f"; training moved them by {moved:.2f} of their random start"
        if moved < 1:
            title += ("\nstill mostly the random start (noise): Figure 3's smooth, coloured "
                      "kernels came after 90 epochs of 1.2 million images")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def filter_change(weights, initial):
    """``|W - W0| / |W0|`` (Frobenius norms): how far training moved the kernels."""
    w, w0 = (asnumpy(a).astype(numpy.float64) for a in (weights, initial))
    return float(numpy.linalg.norm(w - w0) / max(numpy.linalg.norm(w0), 1e-300))


def nearest_neighbours(query_features, bank_features, k=6):
    """Indices (Q, k) of the k bank rows nearest each query row by Euclidean distance."""
    q = numpy.asarray(query_features, dtype=numpy.float64)
    b = numpy.asarray(bank_features, dtype=numpy.float64)
    distances = (q * q).sum(1)[:, None] - 2 * q @ b.T + (b * b).sum(1)[None, :]
    return numpy.argsort(distances, axis=1, kind="stable")[:, :k]


def plot_neighbours(query_images, bank_images, neighbours, out_png, query_labels=None,
                    bank_labels=None, class_names=None):
    """neighbours.png: :func:`neighbours_figure`."""
    return save_png(neighbours_figure(query_images, bank_images, neighbours, query_labels,
                                   bank_labels, class_names), out_png)


def neighbours_figure(query_images, bank_images, neighbours, query_labels=None,
                      bank_labels=None, class_names=None):
    """Figure 4: each query image (first column) beside its nearest training images.

    Images are uint8 (N, 3, H, W). With labels and ``class_names``, each row is labelled by
    its query's class and each neighbour by its own (in red where it differs).
    """
    q, k = neighbours.shape
    named = query_labels is not None and bank_labels is not None and class_names is not None
    figure = new_figure(1.3 * (k + 1) + (1.2 if named else 0), 1.3 * q)
    axes = figure.subplots(q, k + 1, squeeze=False)
    for row in range(q):
        pictures = [query_images[row]] + [bank_images[j] for j in neighbours[row]]
        for col, picture in enumerate(pictures):
            ax = axes[row, col]
            ax.imshow(numpy.asarray(picture).transpose(1, 2, 0))
            ax.set_xticks([])
            ax.set_yticks([])
            if named and col > 0:
                label = bank_labels[neighbours[row, col - 1]]
                ax.set_xlabel(class_names[label], fontsize=6, labelpad=1,
                              color="black" if label == query_labels[row] else "red")
        axes[row, 0].set_ylabel(class_names[query_labels[row]] if named else "test",
                                fontsize=8, rotation=0, ha="right", va="center")
    axes[0, 0].set_title("test image", fontsize=8)
    for col in range(1, k + 1):
        axes[0, col].set_title(f"#{col}", fontsize=8)
    figure.suptitle("nearest training images by Euclidean distance of fc7 activations"
                    + (" (red: another class)" if named else ""), fontsize=9)
    figure.tight_layout()
    return figure


def features(model, x, layer_name="relu7"):
    """The activations of ``model`` (one tower, eval mode) after ``layer_name``."""
    h = x
    for name, layer in model.layers():
        h = layer.forward(h)
        if name == layer_name:
            return asnumpy(h)
    raise ValueError(f"features: the model has no layer named {layer_name!r}")


__all__ = ["plot_curves", "plot_filters", "plot_neighbours", "curves_figure", "filters_figure",
           "neighbours_figure", "nearest_neighbours", "features", "filter_grid", "filter_change",
           "read_history", "learning_rate_cuts"]
