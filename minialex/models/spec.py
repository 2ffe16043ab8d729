"""One row of a model's layer table: a name, a layer class and its arguments."""

from dataclasses import dataclass, field


@dataclass
class Spec:
    """One row of a model's layer table."""
    name: str
    cls: type
    kwargs: dict = field(default_factory=dict)
    bias_one: bool = False       # the paper's §5 sets these biases to 1 (conv2, 4, 5, fc6, 7)
