"""Every lesson runs in quick mode as a script, writes its figures and a well-formed closing
table, states its exact arithmetic right, and opens and closes in English and Korean."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from minialex.experiment import VERDICTS

LESSONS = sorted((Path(__file__).resolve().parent.parent / "lessons").glob("[0-9][0-9]_*.py"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")

# The exact numbers a lesson's table must hold, computed here from their definitions.
EXACT = {
    "03_convolution": {"a 224x224 input, unpadded, gives 55x55 after conv1": (224 - 11) / 4 + 1,
                       "227 input gives 55x55 after conv1": (227 - 11) // 4 + 1,
                       "224 input with conv1 padded by 2 gives 55x55": (224 + 4 - 11) // 4 + 1,
                       "weight sharing: conv1's parameters": 96 * 11 * 11 * 3 + 96},
    "09_whole_network": {
        "parameters (§3.5)": sum(o * i * k * k + o for o, i, k in [
            (96, 3, 11), (256, 48, 5), (384, 256, 3), (384, 192, 3), (256, 192, 3)])
        + sum(o * i + o for o, i in [(4096, 9216), (4096, 4096), (1000, 4096)]),
        "neurons (abstract)": 55 * 55 * 96 + 27 * 27 * 256 + 2 * 13 * 13 * 384 + 13 * 13 * 256
        + 2 * 4096 + 1000,
        "conv1's neurons (Figure 2's caption)": 55 * 55 * 96},
}


def markdown_cells(path):
    """The text of each ``# %% [markdown]`` cell, comment marks removed."""
    cells, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            current = [] if "[markdown]" in line else None
            if current is not None:
                cells.append(current)
        elif current is not None:
            current.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return ["\n".join(cell) for cell in cells]


def test_there_are_lessons():
    assert LESSONS


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_stands_alone_in_both_languages(path):
    source = path.read_text(encoding="utf-8")
    assert "sys.path" not in source
    assert not re.search(r"^\s*(from|import)\s+lessons\b", source, re.M)
    cells = markdown_cells(path)
    for cell in (cells[0], cells[-1]):       # the question, and the answer
        paragraphs = [p for p in cell.split("\n\n") if len(HANGUL.findall(p)) >= 80]
        assert paragraphs, f"{path.name}: a Korean paragraph in\n{cell[:200]}"
        assert any(len(re.findall(r"[A-Za-z]+", p)) >= 40 and not HANGUL.search(p)
                   for p in cell.split("\n\n")), f"{path.name}: an English paragraph"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_runs_quick(path, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "MINIALEX_LESSON": "full"}   # the flag wins
    done = subprocess.run([sys.executable, str(path), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "runs" / "lessons" / path.stem
    record = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    assert record["lesson"] == path.stem and record["mode"] == "quick"
    assert record["claims"] and all(
        set(row) == {"claim", "paper", "measured", "value", "verdict"} and
        row["verdict"] in VERDICTS for row in record["claims"])
    by_claim = {row["claim"]: row for row in record["claims"]}
    for claim, expected in EXACT.get(path.stem, {}).items():
        assert by_claim[claim]["value"] == expected, claim
    assert list(out.glob("*.png"))
    for row in record["claims"]:
        assert row["claim"] in done.stdout          # the closing table is printed


def test_the_lessons_open_as_notebooks():
    jupytext = pytest.importorskip("jupytext")
    for path in LESSONS:
        notebook = jupytext.read(path)
        kinds = {cell.cell_type for cell in notebook.cells}
        assert kinds == {"markdown", "code"}, path.name
