"""Trainer: history, checkpoints, bit-exact resume, the NaN guard, Ctrl-C, top-k errors."""

import csv
import os

import numpy
import pytest

import minialex as mx
from minialex import data
from minialex.layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU
from minialex.optim import SGD, PlateauLR
from minialex.train import (Trainer, TrainingDiverged, evaluate, load_checkpoint, top1_wrong,
                            topk_errors)


def tiny_model(seed=0):
    rng = numpy.random.default_rng(seed)
    return mx.Sequential([
        ("conv1", Conv2d(3, 4, 3, padding=1, seed=rng)), ("relu1", ReLU()),
        ("pool1", MaxPool2d(3, 2)), ("flatten", Flatten()),
        ("fc2", Linear(4 * 7 * 7, 16, seed=rng)), ("relu2", ReLU()),
        ("drop2", Dropout(0.5, seed=5)),     # the masks' key: part of what the model is
        ("fc3", Linear(16, 10, seed=rng)),
    ])


def make_trainer(out_dir, seed=0, transform=None, overwrite=False):
    images, labels, _ = data.load_shapes("train", n=96, seed=3, size=16)
    pre = data.Preprocess.fit(images, crop_size=None, flip=True, pca=True, scale=1 / 64)
    model = tiny_model(seed)
    train = data.Loader(images[:64], labels[:64], 16, seed=1, transform=transform or pre)
    val = data.Loader(images[64:], labels[64:], 16, shuffle=False, transform=pre.test)
    return Trainer(model, SGD(model, lr=0.02), PlateauLR(0.02, patience=1), train, val, out_dir,
                   config={"note": "test"}, preprocess=pre, progress=False, log=lambda *a: None,
                   overwrite=overwrite)


def test_two_epochs_straight_equal_one_plus_resume_plus_one(tmp_path):
    straight = make_trainer(tmp_path / "a")
    straight.fit(2)
    first = make_trainer(tmp_path / "b")
    first.fit(1)
    resumed = make_trainer(tmp_path / "b", seed=7)     # other initial weights: all overwritten
    resumed.model.set_step(1000)                        # and the step is set from the epoch
    resumed.resume()
    assert resumed.epoch == 1
    resumed.fit(2)
    for key, value in straight.model.state_dict().items():
        numpy.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)
    assert resumed.optimizer.lr == straight.optimizer.lr
    assert [r["train_loss"] for r in resumed.history] == [r["train_loss"] for r in straight.history]


def test_history_and_checkpoint_files(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.fit(2)
    with open(tmp_path / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    for r in rows:
        assert 0 <= float(r["val_top1"]) <= 1 and float(r["val_top5"]) <= float(r["val_top1"])
    checkpoint = load_checkpoint(tmp_path / "checkpoint.npz")
    assert checkpoint["meta"]["epoch"] == 2
    assert checkpoint["meta"]["config"] == {"note": "test"}
    assert set(checkpoint["model"]) == set(trainer.model.state_dict())
    assert set(checkpoint["optim"]) == {f"velocity.{k}" for k in trainer.model.state_dict()}
    assert data.Preprocess.from_dict(checkpoint["preprocess"]).scale == pytest.approx(1 / 64)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.npz", "history.csv"]   # no temporaries


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.fit(1)
    good = (tmp_path / "checkpoint.npz").read_bytes()
    trainer.model["fc3"].params["bias"][:] = numpy.nan
    with pytest.raises(TrainingDiverged, match="nan.*epoch 2.*checkpoint"):
        trainer.fit(2)
    assert (tmp_path / "checkpoint.npz").read_bytes() == good


def test_ctrl_c_saves_a_checkpoint_and_returns(tmp_path):
    calls = {"n": 0}
    images, labels, _ = data.load_shapes("train", n=96, seed=3, size=16)
    pre = data.Preprocess.fit(images, crop_size=None, scale=1 / 64)

    def interrupting(batch, rng):
        calls["n"] += 1
        if calls["n"] == 6:        # in the second epoch (4 batches per epoch)
            raise KeyboardInterrupt
        return pre(batch, rng)

    trainer = make_trainer(tmp_path, transform=interrupting)
    trainer.train_loader.prefetch = 0
    history = trainer.fit(3)
    assert len(history) == 1
    assert load_checkpoint(tmp_path / "checkpoint.npz")["meta"]["epoch"] == 1


def test_topk_errors_by_hand():
    logits = numpy.array([[0.1, 0.5, 0.2, 0.0, -1, -2],
                          [3.0, 2.0, 1.0, 0.0, -1, -2],
                          [0.0, 0.0, 0.0, 0.0, 0.0, 9.0]])
    labels = numpy.array([1, 4, 0])
    top1, top5 = topk_errors(logits, labels)
    # row 0 right; row 1: label 4 is 5th largest (top-5 hit, top-1 miss); row 2: miss, and in
    # the top 5 (ties keep the earlier class first)
    assert top1 == pytest.approx(2 / 3)
    assert top5 == pytest.approx(0.0)


def test_evaluate_ten_crop_averages_softmax():
    model = tiny_model()
    images, labels, _ = data.load_shapes("test", n=8, seed=1, size=18)
    pre = data.Preprocess(crop_size=16, scale=1 / 64)
    single = evaluate(model, [(pre.test(images), labels)])
    ten = evaluate(model, [(pre.test_ten_crop(images), labels)], ten_crop=True)
    assert single["n"] == ten["n"] == 8
    assert model.training     # evaluate restores the mode
    for result in (single, ten):
        assert 0 <= result["top1_error"] <= 1 and result["loss"] > 0


def test_load_checkpoint_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_checkpoint(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    numpy.savez(bad, x=numpy.zeros(2))
    with pytest.raises(ValueError, match="bad.npz"):
        load_checkpoint(bad)


def test_divergence_before_any_checkpoint_says_so(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.model["fc3"].params["bias"][:] = numpy.inf
    with pytest.raises(TrainingDiverged, match="No checkpoint was written"), \
            numpy.errstate(invalid="ignore"):          # inf - inf in the softmax
        trainer.fit(1)
    assert not (tmp_path / "checkpoint.npz").exists()


def test_a_new_trainer_refuses_a_folder_holding_a_run(tmp_path):
    make_trainer(tmp_path).fit(1)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    with pytest.raises(ValueError, match="already holds a run.*resume"):
        make_trainer(tmp_path).fit(1)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    again = make_trainer(tmp_path)
    again.resume()
    again.fit(2)                                   # a resumed run continues in its folder
    replaced = make_trainer(tmp_path, overwrite=True)
    replaced.fit(1)
    assert len(replaced.history) == 1


def test_top1_wrong_counts_as_topk_errors_does_ties_included(rng):
    logits = rng.integers(0, 3, (40, 5)).astype(numpy.float32)     # many ties
    labels = rng.integers(0, 5, 40)
    assert int(top1_wrong(logits, labels)) == round(topk_errors(logits, labels, ks=(1,))[0] * 40)
