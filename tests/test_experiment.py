"""Experiments: the verdict rule, every experiment end to end in quick mode, resume-skip."""

import json

import pytest

from minialex import experiment
from minialex.cli import main
from minialex.train import load_checkpoint


@pytest.mark.parametrize("better, worse, expected", [
    ([0.30, 0.31, 0.29], [0.40, 0.41, 0.39], "agrees"),           # 0.10 apart, std 0.01
    ([0.40, 0.41, 0.39], [0.30, 0.31, 0.29], "disagrees"),
    ([0.30, 0.35, 0.25], [0.36, 0.41, 0.31], "not resolved"),     # 0.06 apart, std 0.05
    ([0.30, 0.30], [0.30, 0.30], "not resolved"),
    (None, [0.3], "measured"),
])
def test_the_verdict_rule_on_hand_made_numbers(better, worse, expected):
    assert experiment.verdict(better, worse) == expected


def test_the_verdict_uses_twice_the_larger_spread():
    # means 0.10 apart; the larger standard deviation 0.04 (2 x 0.04 < 0.10), the other 0
    assert experiment.verdict([0.26, 0.30, 0.34], [0.40, 0.40, 0.40]) == "agrees"
    # the larger one 0.06: 2 x 0.06 > 0.10
    assert experiment.verdict([0.24, 0.30, 0.36], [0.40, 0.40, 0.40]) == "not resolved"


@pytest.mark.parametrize("name", sorted(experiment.EXPERIMENTS))
def test_every_experiment_runs_and_reports_in_quick_mode(name, tmp_path):
    folders = experiment.run_experiment(name, seeds=2, out=str(tmp_path / "runs"), quick=True,
                                        log=lambda *_: None)
    assert all(experiment.is_finished(f) for f in folders)
    results = experiment.report(name, str(tmp_path / "runs"), str(tmp_path / "results"),
                                quick=True)
    with open(tmp_path / "results" / "results.json") as f:
        assert json.load(f) == results
    assert (tmp_path / "results" / "results.png").exists()
    e = experiment.EXPERIMENTS[name]
    assert set(results) == {"name", "question", "claim", "variants", "verdict", "provenance"} \
        | ({"pretraining"} if e.pretrain else set())
    assert set(results["variants"]) == set(e.variants)
    expected = {"seed", "top1_error", "top5_error", "best_val_top1_error",
                "final_train_top1_error", "train_test_gap", "epochs_to_converge",
                "seconds_per_epoch", "epochs", "commit"}
    if e.ten_crop_test:
        expected |= {"ten_crop_top1_error", "ten_crop_top5_error"}
    if e.target is not None:
        expected |= {"epochs_to_target", "target_reached"}
    if e.cut_rise:
        expected |= {"train_loss_rise_after_cut", "train_loss_change_first_cut"}
    for summary in results["variants"].values():
        assert len(summary["seeds"]) == 2 and {"mean", "std", "measures"} <= set(summary)
        if e.lr_grid:
            assert set(summary["lr_grid"]) == {f"{lr:g}" for lr in e.lr_grid}
            assert summary["lr_grid"][f"{summary['chosen_lr']:g}"] == min(
                summary["lr_grid"].values())
        assert set(summary["seeds"][0]) == expected
        assert set(summary["measures"]) == expected - {"seed", "commit", "target_reached"}
        for seed in summary["seeds"]:
            assert seed["train_test_gap"] == pytest.approx(
                seed["top1_error"] - seed["final_train_top1_error"])
            assert 1 <= seed["epochs_to_converge"] <= seed["epochs"]
    assert results["verdict"] in experiment.VERDICTS
    assert results["provenance"]["quick"] is True
    assert results["provenance"]["trained_by_commits"] == [results["provenance"]["commit"]]


@pytest.mark.parametrize("values, threshold, expected", [
    ([0.9, 0.5, 0.3, 0.2], 0.3, 3), ([0.9, 0.5], 0.25, None), ([0.1], 0.25, 1)])
def test_epochs_to_a_threshold(values, threshold, expected):
    assert experiment.epochs_to(values, threshold) == expected


@pytest.mark.parametrize("rates, losses, largest, first", [
    ([0.1, 0.1, 0.01, 0.01], [2.0, 1.5, 1.7, 1.2], 0.2, 0.2),    # rose by 0.2 after the cut
    ([0.1, 0.01, 0.001], [2.0, 1.6, 1.5], -0.1, -0.4),           # fell after both
    ([0.1, 0.01, 0.001], [2.0, 1.6, 1.8], 0.2, -0.4),            # the second cut rose
    ([0.1, 0.1], [2.0, 1.0], 0.0, 0.0)])                         # no cut
def test_the_loss_change_after_a_cut(rates, losses, largest, first):
    assert experiment.loss_rise_after_cut(rates, losses) == pytest.approx(largest)
    assert experiment.loss_change_at_first_cut(rates, losses) == pytest.approx(first)


def test_a_killed_experiment_skips_its_finished_runs(tmp_path):
    out = str(tmp_path / "runs")
    trained = []
    experiment.run_experiment("dropout", seeds=1, out=out, quick=True, log=trained.append)
    assert trained == ["dropout: dropout, seed 0", "dropout: none, seed 0"]
    (tmp_path / "runs" / "none" / "seed-0" / "run.json").unlink()     # as if killed before
    again = []
    experiment.run_experiment("dropout", seeds=1, out=out, quick=True, log=again.append)
    assert again == ["dropout: dropout, seed 0: finished, skipped",
                     "dropout: none, seed 0 (resuming)"]


def test_the_cli_lists_and_keeps_quick_results_out_of_experiments(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["experiment", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in experiment.EXPERIMENTS)
    assert main(["experiment", "pooling", "--quick", "--seeds", "1"]) == 2
    assert "--results" in capsys.readouterr().err
    assert not (tmp_path / "experiments").exists()
    assert main(["experiment", "pooling", "--quick", "--seeds", "1", "--report",
                 "--results", "r"]) == 0
    assert "verdict" in capsys.readouterr().out
    assert main(["experiment", "nonsense"]) == 2


def _history(folder, train_errors):
    folder.mkdir(parents=True)
    rows = ["epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,seconds"]
    rows += [f"{i + 1},0.1,1,{e},1,0.5,0.1,1" for i, e in enumerate(train_errors)]
    (folder / "history.csv").write_text("\n".join(rows) + "\n")


def test_the_grid_picks_the_rate_with_the_lowest_final_training_error(tmp_path):
    _history(tmp_path / "relu" / "lr-0.01", [0.8, 0.6])
    _history(tmp_path / "relu" / "lr-0.03", [0.8, 0.5])
    _history(tmp_path / "relu" / "lr-0.1", [0.8, float("nan")])    # diverged: the worst
    assert experiment.best_lr(str(tmp_path), "relu", (0.01, 0.03, 0.1)) == 0.03


def test_each_pretrained_seed_starts_from_its_own_pretraining_run(tmp_path):
    out = tmp_path / "runs"
    experiment.run_experiment("pretraining", seeds=2, out=str(out), quick=True,
                              log=lambda *_: None)
    for seed in (0, 1):
        with open(out / "pretrained" / f"seed-{seed}" / "run.json") as f:
            assert json.load(f)["test"]["epochs"] == 1
        config = load_checkpoint(str(out / "pretrained" / f"seed-{seed}" /
                                     "checkpoint.npz"))["meta"]["config"]
        assert config["init_from"] == str(out / "pretrain" / f"seed-{seed}" / "checkpoint.npz")
        scratch = load_checkpoint(str(out / "scratch" / f"seed-{seed}" / "checkpoint.npz"))
        assert scratch["meta"]["config"]["init_from"] is None


def test_the_claims_table_is_read_from_the_results(tmp_path):
    out, root = str(tmp_path / "runs"), tmp_path / "results"
    experiment.run_experiment("dropout", seeds=2, out=out, quick=True, log=lambda *_: None)
    results = experiment.report("dropout", out, str(root / "dropout"), quick=True,
                                command=f"minialex experiment dropout --out {out} --seeds 2")
    table = experiment.claims_table(str(root)).splitlines()
    assert len(table) == 3 and table[2].startswith("| `dropout` |")
    for variant, summary in results["variants"].items():
        assert f"{variant} **{100 * summary['mean']:.1f}% ± {100 * summary['std']:.1f}**" \
            in table[2]
    assert f"| {results['verdict']} |" in table[2]
    assert "`minialex experiment dropout --seeds 2`" in table[2]       # --out left out
