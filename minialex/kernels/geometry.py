"""The stride-phase layout that im2col and max-pooling share: :class:`Geometry`.

Splitting the padded input into its stride x stride *phases* turns every kernel offset's
window into a plain shift of one flattened phase plane; :mod:`minialex.kernels.im2col` says
why that makes the copies fast, and :mod:`minialex.kernels.pool` uses the same planes for its
1-D passes.
"""

from ..backend import get_array_module
from ..windows import output_size, pair


class Geometry:
    """The sizes of one convolution's columns, computed once from the input shape."""

    def __init__(self, x_shape, kernel_size, stride, padding):
        self.n, self.c, self.h, self.w = x_shape
        (self.kh, self.kw), (self.sh, self.sw) = pair(kernel_size), pair(stride)
        self.ph, self.pw = pair(padding)
        self.oh = output_size(self.h, self.kh, self.sh, self.ph)
        self.ow = output_size(self.w, self.kw, self.sw, self.pw)
        hp, wp = self.h + 2 * self.ph, self.w + 2 * self.pw
        # Phase planes; one extra row catches the last wide row's overrun.
        self.hq, self.wq = -(-hp // self.sh) + 1, -(-wp // self.sw)
        self.wide_shape = (self.c, self.kh, self.kw, self.n, self.oh, self.wq)
        self.phase_shape = (self.c, self.sh, self.sw, self.n, self.hq, self.wq)

    def offsets(self):
        """Each kernel offset (i, j) with its phase (a, b) and start in the flattened plane."""
        for i in range(self.kh):
            for j in range(self.kw):
                start = (i // self.sh) * self.wq + j // self.sw
                yield i, j, i % self.sh, j % self.sw, start

    def phases(self):
        """For each phase (a, b): the input rows and columns that land in it, and where.

        Yields ``(a, b, rows, cols, plane_rows, plane_cols)``: ``x[..., rows, cols]`` is
        ``planes[:, a, b, :, plane_rows, plane_cols]``.
        """
        for a in range(self.sh):
            y0 = (a - self.ph) % self.sh
            ny = len(range(y0, self.h, self.sh))
            r0 = (y0 + self.ph) // self.sh
            for b in range(self.sw):
                x0 = (b - self.pw) % self.sw
                nx = len(range(x0, self.w, self.sw))
                q0 = (x0 + self.pw) // self.sw
                yield (a, b, slice(y0, self.h, self.sh), slice(x0, self.w, self.sw),
                       slice(r0, r0 + ny), slice(q0, q0 + nx))

    def to_planes(self, x, pad_value):
        """(N, C, H, W) -> padded phase planes (C, sh, sw, N, hq, wq): one pass over x."""
        xp = get_array_module(x)
        planes = xp.full(self.phase_shape, pad_value, dtype=x.dtype)
        x_cn = x.transpose(1, 0, 2, 3)
        for a, b, rows, cols, plane_rows, plane_cols in self.phases():
            planes[:, a, b, :, plane_rows, plane_cols] = x_cn[:, :, rows, cols]
        return planes

    def from_planes(self, planes):
        """Phase planes (C, sh, sw, N, hq, wq) -> the (N, C, H, W) input region, a new array."""
        xp = get_array_module(planes)
        x = xp.empty((self.n, self.c, self.h, self.w), dtype=planes.dtype)
        x_cn = x.transpose(1, 0, 2, 3)
        for a, b, rows, cols, plane_rows, plane_cols in self.phases():
            x_cn[:, :, rows, cols] = planes[:, a, b, :, plane_rows, plane_cols]
        return x
