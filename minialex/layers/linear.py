"""Linear: the fully-connected layers fc6, fc7, fc8 (§3.5)."""

from ..backend import on_input_device
from ..kernels.workspace import matmul_reusing
from ..validate import integer
from .base import Layer
from .init import init_params


class Linear(Layer):
    """Fully-connected layer, ``y = x @ weight.T + bias`` (PyTorch's layout).

    Shapes::

        x (N, in_features)   weight (out_features, in_features)   bias (out_features,)
        y (N, out_features)

    Backward: ``dx = dy @ weight``, ``dweight = dy.T @ x``, ``dbias = dy.sum(0)``.
    """

    def __init__(self, in_features, out_features, *,
                 weight_std=None, bias_init=0.0, dtype="float32", seed=None):
        super().__init__()
        self.in_features = integer(in_features, "in_features", "Linear", minimum=1)
        self.out_features = integer(out_features, "out_features", "Linear", minimum=1)
        init_params(self, (out_features, in_features), fan_in=in_features, weight_std=weight_std,
                    bias_init=bias_init, dtype=dtype, seed=seed)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}"

    def output_shape(self, x_shape):
        return (x_shape[0], self.out_features)

    def multiply_adds(self, x_shape):
        return x_shape[0] * self.in_features * self.out_features

    @on_input_device
    def forward(self, x):
        self.check_input(x, 2, self.in_features, layout="(N, in_features)")
        self.save_for_backward(x)
        return x @ self.params["weight"].T + self.params["bias"]

    @on_input_device
    def backward(self, dy):
        self.parameter_gradients(dy)
        return dy @ self.params["weight"]

    @on_input_device
    def parameter_gradients(self, dy):
        (x,) = self.saved()
        self.check_gradient(dy, (x.shape[0], self.out_features))
        self.grads["weight"] = matmul_reusing(dy.T, x, self.grads.get("weight"))  # dy.T @ x
        self.grads["bias"] = dy.sum(axis=0)
