"""No import cycle anywhere in the package, function-level imports included.

Every ``import`` statement of every module (found with ``ast``, wherever it stands) becomes an
edge from the importing module to the imported minialex module(s); then a depth-first search
looks for a cycle. Packages that contain the importing module are left out as targets: Python
is already importing them when the module runs.
"""

import ast
from pathlib import Path

import minialex

ROOT = Path(minialex.__file__).parent


def module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(name):
    return (ROOT.parent / Path(*name.split(".")) / "__init__.py").exists()


def exists(name):
    path = ROOT.parent / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def import_graph():
    graph = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets.add(base)
                targets |= {f"{base}.{alias.name}" for alias in node.names
                            if exists(f"{base}.{alias.name}")}
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = {t for t in targets if t.split(".")[0] == "minialex" and exists(t)
                       and t != name and t not in ancestors}
    return graph


def find_cycle(graph):
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
    graph = import_graph()
    assert "minialex.models.build" in graph and "minialex.parallel" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_walk_sees_function_level_imports_and_would_report_a_cycle():
    graph = import_graph()
    assert "minialex.layers" in graph["minialex.gradcheck"]   # imported inside a function
    graph["minialex.parallel"] = graph["minialex.parallel"] | {"minialex.models.build"}
    assert find_cycle(graph) is not None
