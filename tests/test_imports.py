"""No import cycle anywhere in the package, function-level imports included.

Every ``import`` statement of every module (found with ``ast``, wherever it stands: at the top,
in a function, in a class) becomes an edge from the importing module to the modules it makes
Python import; then a depth-first search looks for a cycle. ``from package import name`` is an
edge to ``package.name`` when that is a submodule, and to ``package`` itself otherwise (its
``__init__`` must have run to hold ``name``).
"""

import ast
import textwrap
from pathlib import Path

import minialex


def import_graph(root):
    """``{module: {modules it imports}}`` for the package in folder ``root``."""
    root = Path(root)
    top = root.name

    def name_of(path):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def exists(name):
        path = root.parent / Path(*name.split("."))
        return path.with_suffix(".py").exists() or (path / "__init__.py").exists()

    graph = {}
    for path in sorted(root.rglob("*.py")):
        name = name_of(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                submodules = {f"{base}.{a.name}" for a in node.names if exists(f"{base}.{a.name}")}
                targets |= submodules
                if len(submodules) < len(node.names):      # some name is not a submodule
                    targets.add(base)
        graph[name] = {t for t in targets if t.split(".")[0] == top and exists(t) and t != name}
    return graph


def find_cycle(graph):
    """A list of modules that import each other in a ring, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph(Path(minialex.__file__).parent)
    assert {"minialex.models.build", "minialex.parallel", "minialex.layers.conv"} <= set(graph)
    assert "minialex.kernels.conv" in graph["minialex.layers.conv"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def write_package(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    write_package(tmp_path / "pkg", {
        "__init__.py": "",
        "a.py": "from .b import helper\n",
        "b.py": "def helper():\n    from . import a\n    return a\n",
        "c.py": "from . import a\n"})
    graph = import_graph(tmp_path / "pkg")
    assert graph["pkg.b"] == {"pkg.a"} and graph["pkg.c"] == {"pkg.a"}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]


def test_importing_a_name_from_the_package_itself_counts(tmp_path):
    write_package(tmp_path / "pkg", {
        "__init__.py": "from .sub.mod import thing\n",
        "sub/__init__.py": "",
        "sub/mod.py": "def thing():\n    from .. import VERSION\n",
        "other.py": "from . import sub\n"})
    graph = import_graph(tmp_path / "pkg")
    assert "pkg" in graph["pkg.sub.mod"] and graph["pkg.other"] == {"pkg.sub"}
    assert find_cycle(graph) is not None
