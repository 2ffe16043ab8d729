"""Conv2d: the convolutional layers of §3.5, with the paper's groups (Figure 2)."""

import math

import numpy

from ..backend import get_array_module, on_input_device
from ..kernels import conv as kernels
from ..kernels import winograd
from ..kernels.workspace import Workspace, reusable
from ..validate import integer, integers
from ..windows import check_fits, output_size, pair
from .base import Layer
from .init import init_params


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as in every deep-learning library) with groups.

    Shapes::

        x       (N, C_in, H, W)
        weight  (C_out, C_in / groups, kh, kw)        bias (C_out,)
        y       (N, C_out, OH, OW)   OH = (H + 2*padding - kh) // stride + 1

    ``y[n, o] = bias[o] + sum_{c in group(o)} weight[o, c] * xpad[n, c]`` over each window.
    With ``groups=2`` the first half of the output maps sees only the first half of the input
    maps: the paper's two GPUs (§3.2, Figure 2) as one layer.

    As matrices (im2col): put every kh x kw window of group g's input maps, over the whole
    batch, as a column of ``X_g`` (C_in/G*kh*kw rows, N*OH*OW columns), and group g's weights
    as the rows of ``W_g``. Then::

        forward    Y_g = W_g X_g                  y = Y + b
        backward   dW_g = dY_g X_g^T     db = sum of dy over (n, oh, ow)
                   dx = col2im(W_g^T dY_g)   (each pixel gets the sum over the windows it is in)

    The plain version of both passes, loop by loop, is ``minialex.naive.conv2d`` and
    ``conv2d_backward``. :mod:`minialex.kernels.conv` does the memory work fast (wide columns,
    a shared workspace, one pass for the bias).

    Memory: the columns are the biggest arrays of the whole network (230 MB for AlexNet's
    conv2 at batch 32), so they are not kept from forward to backward: backward recomputes
    them (a copy, a few percent of the layer's time). They live in ``workspace``: the models
    give all their convolutions on one device the same one, so the network needs the memory
    of its largest columns only, once, reused every step. By default each layer has its own.
    Winograd's transformed input tiles V are the exception: in training mode the layer keeps
    them from forward to backward in a buffer of its own, reused every step (backward then
    writes their gradient over them), because recomputing them was 12-15% of the layer's time
    (``alexnet_cifar``'s conv4 and conv5 at batch 128). They are far smaller than the columns:
    AlexNet's four Winograd layers keep 124 MB at batch 32, ``alexnet_cifar``'s 101 MB at
    batch 128, and the shared workspace no longer holds a V of its own in training.

    ``algorithm``: ``"direct"`` is the im2col product above, the reference. ``"winograd"``
    computes the same convolution with fewer multiplies (:mod:`minialex.kernels.winograd`), for
    stride-1 square kernels: F(4x4, 3x3) for 3x3 (4x fewer) and F(3x3, 5x5) for 5x5 (4.6x
    fewer). ``"auto"`` (the default) takes Winograd where it applies and pays: at least
    ``WINOGRAD_MIN_CHANNELS`` input maps per group (with fewer, the GEMMs are too thin to repay
    the transforms: the CIFAR net's conv1 has 3) and at least ``WINOGRAD_MIN_TILES`` tiles in
    the batch (a small batch of small maps is over before the transforms pay). Both thresholds
    were measured on this project's machine (the README's speed section). On a GPU ``"auto"``
    is always direct: Winograd's transforms are a few hundred whole-array passes, each one
    kernel launch, and the AlexNet step measured 1.5x and 2.2x slower with them in two runs
    (H200, batch 128: 56 and 85 ms against 37 and 38). In float32 Winograd loses a little more
    than the direct product to rounding: about 1e-5 of the largest output, against 4e-7
    (measured in ``tests/kernels/test_winograd.py``). ``set_algorithm`` changes the choice
    later, with the same checks.
    """

    ALGORITHMS = ("auto", "direct", "winograd")
    WINOGRAD_TILE = {3: 4, 5: 3}    # kernel side r -> output block m of F(m x m, r x r)
    WINOGRAD_MIN_CHANNELS = 32
    WINOGRAD_MIN_TILES = 128

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, *,
                 weight_std=None, bias_init=0.0, dtype="float32", seed=None, workspace=None,
                 algorithm="auto"):
        super().__init__()
        self.in_channels = integer(in_channels, "in_channels", "Conv2d", minimum=1)
        self.out_channels = integer(out_channels, "out_channels", "Conv2d", minimum=1)
        self.kernel_size = integers(pair(kernel_size), "kernel_size", "Conv2d", minimum=1)
        self.stride = integers(pair(stride), "stride", "Conv2d", minimum=1)
        self.padding = integers(pair(padding), "padding", "Conv2d", minimum=0)
        self.groups = integer(groups, "groups", "Conv2d", minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        self.set_algorithm(algorithm)
        self.workspace = Workspace() if workspace is None else workspace
        self._kept_tiles = None          # Winograd's V, kept for backward (see Memory above)
        kh, kw = self.kernel_size
        init_params(self, (out_channels, in_channels // groups, kh, kw),
                    fan_in=in_channels // groups * kh * kw, weight_std=weight_std,
                    bias_init=bias_init, dtype=dtype, seed=seed)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.algorithm != "auto":
            text += f", algorithm={self.algorithm!r}"
        return text

    def output_shape(self, x_shape):
        n, _, h, w = x_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (n, self.out_channels, output_size(h, kh, sh, ph), output_size(w, kw, sw, pw))

    def multiply_adds(self, x_shape):
        kh, kw = self.kernel_size
        return math.prod(self.output_shape(x_shape)) * (self.in_channels // self.groups) * kh * kw

    @on_input_device
    def forward(self, x):
        self.check_input(x, 4, self.in_channels)
        check_fits(self, x.shape, self.kernel_size, self.padding)
        self.save_for_backward(x)
        xp = get_array_module(x)
        if self.algorithm_for(x.shape, xp) == "winograd":
            return self._winograd_forward(x)
        X, geometry = self._columns(x)                        # X_g: every window as a column
        Y = xp.matmul(self._grouped_weight(), X)              # Y_g = W_g X_g
        return kernels.to_images(Y, geometry, self.params["bias"])   # y = Y + b, (N, O, OH, OW)

    @on_input_device
    def backward(self, dy):
        return self._backward(dy, input_gradient=True)

    @on_input_device
    def parameter_gradients(self, dy):
        self._backward(dy, input_gradient=False)      # conv1 on the images: no dx to compute

    def _backward(self, dy, input_gradient):
        x = self.saved()[0]
        self.check_gradient(dy, self.output_shape(x.shape))
        self.grads["bias"] = dy.sum(axis=(0, 2, 3))                                  # db
        if self.algorithm_for(x.shape, get_array_module(x)) == "winograd":
            return self._winograd_backward(x, dy, input_gradient)
        X, geometry = self._columns(x)                        # recomputed (see Memory above)
        dY = kernels.from_images(dy, geometry, self.groups, self.workspace)
        self.grads["weight"] = kernels.weight_gradient(                              # dW_g
            dY, X, self.params["weight"].shape, previous=self.grads.get("weight"))
        if input_gradient:
            return kernels.input_gradient(self._grouped_weight(), dY, X, geometry)   # dx
        return None

    def _grouped_weight(self):
        """W as (G, C_out/G, C_in/G*kh*kw): group g's filters as the rows of W_g."""
        return self.params["weight"].reshape(self.groups, self.out_channels // self.groups, -1)

    # -- Winograd: the same convolution with fewer multiplies (kernels.winograd) -------------
    def set_algorithm(self, algorithm):
        """"auto", "direct" or "winograd" (this layer must be one that Winograd applies to)."""
        if algorithm not in self.ALGORITHMS:
            raise ValueError(f"Conv2d: algorithm must be one of {', '.join(self.ALGORITHMS)}, "
                             f"got {algorithm!r}")
        if algorithm == "winograd" and not self.winograd_applies():
            raise ValueError(f"Conv2d: algorithm='winograd' needs a stride-1 square kernel of side "
                             f"{', '.join(map(str, self.WINOGRAD_TILE))}; got kernel_size="
                             f"{self.kernel_size}, stride={self.stride}")
        self.algorithm = algorithm

    def winograd_applies(self):
        """Whether Winograd computes this layer: a stride-1 square kernel of a side it has."""
        kh, kw = self.kernel_size
        return kh == kw and kh in self.WINOGRAD_TILE and self.stride == (1, 1)

    def algorithm_for(self, x_shape, xp):
        """The algorithm that runs on an input of ``x_shape`` in array module ``xp``: "direct"
        or "winograd"."""
        if self.algorithm != "auto":
            return self.algorithm
        if xp is not numpy:          # a GPU: launches, not multiplies, set the speed
            return "direct"
        if not self.winograd_applies() or (
                self.in_channels // self.groups < self.WINOGRAD_MIN_CHANNELS):
            return "direct"
        return "winograd" if self._tiles(x_shape).count >= self.WINOGRAD_MIN_TILES else "direct"

    def _tiles(self, x_shape):
        r = self.kernel_size[0]
        return winograd.Tiles(x_shape, self.WINOGRAD_TILE[r], r, self.padding)

    def _winograd(self, x, tiles, V=None):
        buf = winograd.buffers(self.workspace, tiles, self.out_channels, x.dtype, like=x, V=V)
        return winograd.transform_matrices(tiles.m, tiles.r), buf

    def _winograd_forward(self, x):
        xp = get_array_module(x)
        tiles = self._tiles(x.shape)
        kept = None
        if self.training:       # backward will need V: write it into a buffer of our own
            kept = self._kept_tiles = reusable(self._kept_tiles, winograd.tiles_shape(tiles),
                                               x.dtype, like=x)
            self.save_for_backward(x, kept)
        (AT, G, BT), buf = self._winograd(x, tiles, V=kept)
        U = winograd.weight_tiles(self.params["weight"], G, self.groups)   # G W G^T
        V = winograd.input_tiles(x, tiles, BT, buf)                        # B^T D B
        M = buf["M"].reshape(U.shape[:3] + (tiles.count,))
        xp.matmul(U, V.reshape(U.shape[:2] + (-1, tiles.count)), out=M)   # M = U V, per xi
        return winograd.output_images(M.reshape(len(M), -1, tiles.count), tiles, AT,
                                      self.params["bias"], buf)             # A^T M A + b

    def _winograd_backward(self, x, dy, input_gradient):
        xp = get_array_module(x)
        saved = self.saved()
        kept = saved[1] if len(saved) > 1 else None      # V, if forward kept it
        tiles = self._tiles(x.shape)
        (AT, G, BT), buf = self._winograd(x, tiles, V=kept)
        U = winograd.weight_tiles(self.params["weight"], G, self.groups)
        dM = winograd.output_gradient_tiles(dy, tiles, AT, buf)              # A dY A^T
        dM = dM.reshape(U.shape[:3] + (tiles.count,))
        V = kept if kept is not None else winograd.input_tiles(x, tiles, BT, buf)  # B^T D B
        V = V.reshape(U.shape[:2] + (-1, tiles.count))
        dU = xp.empty(U.shape, dtype=U.dtype)
        for xi in range(U.shape[0]):            # 2-D GEMMs: a transposed batch would be copied
            for g in range(self.groups):
                xp.matmul(dM[xi, g], V[xi, g].T, out=dU[xi, g])              # dU = dM V^T
        self.grads["weight"] = winograd.weight_gradient(                    # G^T dU G
            dU, G, self.params["weight"].shape)
        if not input_gradient:
            return None
        dV = xp.matmul(U.transpose(0, 1, 3, 2), dM, out=V)                  # dV = U^T dM
        if kept is not None:
            self.save_for_backward(x)     # V is spent: a second backward recomputes it
        return winograd.input_gradient(dV.reshape(len(dV), -1, tiles.count), tiles, BT,
                                       buf)                                  # B dV B^T

    def _columns(self, x):
        return kernels.columns(x, self.kernel_size, self.stride, self.padding, self.groups,
                               self.workspace)
