"""Shapes: a built-in, procedurally generated 10-class image data set.

Not from the paper: a data set that needs no download, generated in well under a second, so
lessons, examples and tests can train a small AlexNet-style net end to end anywhere. Each image
is one geometric shape of a random colour, size and position on a background of a random, darker
colour, plus pixel noise. The classes differ only in shape, so a net must learn shape, not colour,
to tell them apart.

Why the shape is always the lighter of the two: when its contrast had a random sign in each
channel, a shape's edges could be any of eight colour polarities, and an eight-layer net without
normalisation (``alexnet_cifar``) first had to grow polarity-free edge detectors before any class
could be told apart. It sat at chance for hundreds of updates (loss 2.28 after 150 updates of 32
images, where with lighter shapes it is 1.5 and falling; PyTorch, started from the same weights
on the same batches, sat there too, both without dropout in that comparison). One sign of
contrast keeps the task about shape and lets the built-in run finish in minutes.

Everything is vectorised: each image gets normalised coordinates ``(u, v)`` relative to its
shape's centre and radius, over a grid covering the whole batch, and each class is one boolean
formula of ``u`` and ``v`` (the loop is over the ten classes, never over images or pixels).
"""

import numpy

from ..validate import integer

SHAPES_CLASSES = ["circle", "square", "triangle", "plus", "horizontal bar", "vertical bar",
                  "ring", "diamond", "x", "star"]

DEFAULT_SIZES = {"train": 5000, "test": 1000}
_SPLIT_STREAM = {"train": 0, "test": 1}
_CHUNK = 2048  # images generated at once, bounding the float32 temporaries to a few MB each
_NOISE_STD = 0.04  # of the [0, 1] range


def _star(u, v):
    # The radius swings between 0.4 and 1 five times around the centre, a tip pointing up.
    theta = numpy.arctan2(v, u)
    return numpy.hypot(u, v) <= 0.4 + 0.6 * ((1 + numpy.cos(5 * (theta + numpy.pi / 2))) / 2) ** 2


def _chebyshev(u, v):
    return numpy.maximum(numpy.abs(u), numpy.abs(v))


# One formula per class, in SHAPES_CLASSES order: (u, v) are coordinates relative to the shape's
# centre in units of its radius (v points down); every shape spans about [-1, 1] x [-1, 1].
_SHAPE_MASKS = [
    lambda u, v: u * u + v * v <= 1.0,                                          # circle
    lambda u, v: _chebyshev(u, v) <= 0.8,                                       # square
    lambda u, v: (v >= -0.9) & (v <= 0.8) & (numpy.abs(u) <= (v + 0.9) * 0.55),  # triangle
    lambda u, v: ((numpy.abs(u) <= 0.27) | (numpy.abs(v) <= 0.27)) & (_chebyshev(u, v) <= 1.0),
    lambda u, v: (numpy.abs(v) <= 0.32) & (numpy.abs(u) <= 1.0),                # horizontal bar
    lambda u, v: (numpy.abs(u) <= 0.32) & (numpy.abs(v) <= 1.0),                # vertical bar
    lambda u, v: (u * u + v * v <= 1.0) & (u * u + v * v >= 0.36),              # ring
    lambda u, v: numpy.abs(u) + numpy.abs(v) <= 1.0,                            # diamond
    lambda u, v: ((numpy.abs(u - v) <= 0.4) | (numpy.abs(u + v) <= 0.4))
    & (_chebyshev(u, v) <= 0.85),                                               # x
    _star,                                                                      # star
]


def make_shapes(n, size=32, seed=0):
    """``(images uint8 (n, 3, size, size), labels int64 (n,))`` of the Shapes data set.

    The classes (:data:`SHAPES_CLASSES`) are balanced: each appears ``n // 10`` or ``n // 10 + 1``
    times, in random order. Per image: radius 0.22-0.42 of ``size``, centre chosen so the shape
    lies (nearly) inside the image; background colour uniform in [0, 0.5] in each RGB channel;
    foreground colour the background plus 0.3-0.5 in each channel, so the shape is lighter by at
    least 30% of the range in every channel (see the module docstring for why); then Gaussian
    pixel noise (std 4%). The same ``(n, size, seed)`` always gives the same images; ``seed`` is
    anything ``numpy.random.default_rng`` accepts.
    """
    n = integer(n, "n", "make_shapes", minimum=0)
    size = integer(size, "size", "make_shapes", minimum=8)
    rng = numpy.random.default_rng(seed)
    labels = rng.permutation(numpy.arange(n) % len(SHAPES_CLASSES)).astype(numpy.int64)
    radius = rng.uniform(0.22, 0.42, n) * size
    # Centre at least 0.9 radius from each edge: shapes reaching the full radius (circle, plus,
    # bars) may lose a sliver, none loses its identity.
    margin = 0.9 * radius
    cx = margin + rng.random(n) * (size - 2 * margin)
    cy = margin + rng.random(n) * (size - 2 * margin)
    background = rng.uniform(0.0, 0.5, (n, 3))
    foreground = background + rng.uniform(0.3, 0.5, (n, 3))

    grid = numpy.arange(size, dtype=numpy.float32) + 0.5  # pixel centres
    images = numpy.empty((n, 3, size, size), numpy.uint8)
    for start in range(0, n, _CHUNK):
        batch = slice(start, min(n, start + _CHUNK))
        r = radius[batch, None, None].astype(numpy.float32)
        u = (grid[None, None, :] - cx[batch, None, None].astype(numpy.float32)) / r
        v = (grid[None, :, None] - cy[batch, None, None].astype(numpy.float32)) / r
        u, v = numpy.broadcast_arrays(u, v)
        mask = numpy.zeros(u.shape, bool)
        chunk_labels = labels[batch]
        for k, formula in enumerate(_SHAPE_MASKS):
            members = numpy.flatnonzero(chunk_labels == k)
            if members.size:
                mask[members] = formula(u[members], v[members])
        fg = foreground[batch, :, None, None].astype(numpy.float32)
        bg = background[batch, :, None, None].astype(numpy.float32)
        pixels = numpy.where(mask[:, None], fg, bg)
        noise = rng.standard_normal(pixels.shape, dtype=numpy.float32)  # float32: 4x faster
        pixels += noise * numpy.float32(_NOISE_STD)
        pixels *= 255.0
        pixels += 0.5  # round to nearest on the cast below
        numpy.clip(pixels, 0, 255, out=pixels)
        images[batch] = pixels
    return images, labels


def load_shapes(split="train", n=None, seed=0, size=32):
    """``(images uint8 (n, 3, size, size), labels int64 (n,), class_names)`` of one Shapes split.

    ``n`` defaults to 5000 for ``"train"`` and 1000 for ``"test"``. The two splits draw from
    different streams of the same ``seed`` (``default_rng((seed, 0))`` and ``((seed, 1))``), so
    they never share images and each is reproducible on its own.
    """
    if split not in DEFAULT_SIZES:
        raise ValueError(f"load_shapes: split must be 'train' or 'test', got {split!r}")
    n = DEFAULT_SIZES[split] if n is None else n
    images, labels = make_shapes(n, size=size, seed=(seed, _SPLIT_STREAM[split]))
    return images, labels, list(SHAPES_CLASSES)
