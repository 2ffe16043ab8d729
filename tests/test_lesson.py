"""The helper every lesson shares: its size, its data, its closing table."""

import json

import pytest

from minialex.lesson import Lesson, committed


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINIALEX_LESSON", raising=False)
    monkeypatch.delenv("MINIALEX_DATA", raising=False)


@pytest.mark.parametrize("argv, env, mode", [
    ([], None, "full"), (["--quick"], None, "quick"), ([], "quick", "quick"),
    (["--full"], "quick", "full"),                        # the flag wins over the variable
    (["-f", "kernel.json"], "quick", "quick"),            # a notebook kernel's own arguments
])
def test_the_size_comes_from_the_flag_or_the_variable(argv, env, mode, monkeypatch):
    if env:
        monkeypatch.setenv("MINIALEX_LESSON", env)
    assert Lesson("00_test", argv).mode == mode


def test_a_bad_size_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("MINIALEX_LESSON", "medium")
    with pytest.raises(SystemExit, match="MINIALEX_LESSON"):
        Lesson("00_test", [])


def test_missing_data_falls_back_to_shapes_with_a_message(tmp_path, capsys):
    lesson = Lesson("00_test", ["--data-dir", str(tmp_path / "nowhere")])
    assert lesson.dataset("cifar10") == ("shapes", None)
    assert "cifar-10-batches-py is absent" in capsys.readouterr().out
    assert Lesson("00_test", ["--quick"]).dataset("cifar10") == ("shapes", None)


def test_the_closing_table_uses_the_experiments_verdict_rule(tmp_path, capsys):
    lesson = Lesson("00_test", ["--quick"])
    lesson.claim("with seeds", "the paper", "measured", 0.1,
                 better=[0.30, 0.31, 0.29], worse=[0.40, 0.41, 0.39])
    lesson.claim("one number", "the paper", "measured", 0.2)
    lesson.check("arithmetic", "55", "54.25", 54.25, False)
    lesson.finish()
    record = json.loads((tmp_path / "runs" / "lessons" / "00_test" / "claims.json").read_text())
    assert [row["verdict"] for row in record["claims"]] == ["agrees", "measured", "disagrees"]
    assert record["mode"] == "quick" and record["claims"][2]["value"] == 54.25
    assert "arithmetic" in capsys.readouterr().out


def test_a_committed_result_is_labelled_with_its_seed_count():
    # the lessons' labels count the seeds of the result they read, never type them in
    three = {"seeds": [{}, {}, {}]}
    assert committed({"variants": {"a": three, "b": three}}) == "committed, 3 seeds"
    assert committed({"variants": {"a": three, "b": {"seeds": [{}]}}}) == "committed, 1/3 seeds"
