"""The run config: one key per choice, its defaults, its errors, and what each value builds."""

import numpy
import pytest

from minialex import BatchNorm2d, Dropout, LocalResponseNorm, Tanh, recipe
from minialex.optim import ConstantLR, PlateauLR, StepLR


def test_defaults_come_from_the_model_and_the_dataset():
    config = recipe.complete({})
    assert (config["model"], config["dataset"]) == ("alexnet_cifar", "shapes")
    assert (config["norm"], config["dropout"], config["init"]) == ("lrn", "paper", "he")
    assert (config["activation"], config["pool"], config["sgd"], config["augment"]) == \
        ("relu", "overlap", "paper", "crop-flip-pca")
    assert (config["batch_size"], config["lr"], config["epochs"]) == (32, 0.02, 4)  # quick run
    figure1 = recipe.complete({"model": "figure1_net", "dataset": "cifar10", "data_dir": "d"})
    assert (figure1["norm"], figure1["dropout"], figure1["epochs"]) == ("none", "none", 30)
    assert recipe.complete({"model": "alexnet", "dataset": "tiny-imagenet",
                            "data_dir": "d"})["init"] == "paper"


@pytest.mark.parametrize("key", sorted(recipe.CHOICES))
def test_every_choice_refuses_an_unknown_value_by_its_flag(key):
    with pytest.raises(ValueError, match=f"{recipe.flag(key)} must be one of"):
        recipe.complete({key: "nonsense"})


@pytest.mark.parametrize("config, fragment", [
    ({"model": "vgg"}, "--model"),
    ({"dataset": "mnist"}, "--dataset"),
    ({"dataset": "cifar10"}, "--data-dir"),
    ({"dataset": "tiny-imagenet"}, "--data-dir"),
    ({"model": "alexnet"}, "227x227"),
    ({"model": "figure1_net", "towers": 2}, "one tower"),
    ({"model": "figure1_net", "dropout": "paper"}, "no dropout"),
    ({"model": "figure1_net", "columns": "two"}, "one column: --columns must be one"),
    ({"towers": 2, "columns": "one-half"}, "--towers 2 .* needs --columns two"),
    ({"val_fraction": 1.0}, "--val-fraction"),
    ({"colour": "red"}, "unknown config keys"),
])
def test_bad_configs_are_refused_by_name(config, fragment):
    with pytest.raises(ValueError, match=fragment):
        recipe.complete(config)


@pytest.mark.parametrize("key, value, check", [
    ("norm", "batchnorm", lambda m: any(isinstance(l, BatchNorm2d) for _, l in m.layers())),
    ("norm", "none", lambda m: not any(isinstance(l, LocalResponseNorm) for _, l in m.layers())),
    ("activation", "tanh", lambda m: any(isinstance(l, Tanh) for _, l in m.layers())),
    ("pool", "nonoverlap", lambda m: m["pool1"].kernel_size == (2, 2)),
    ("dropout", "inverted", lambda m: m["drop6"].mode == "inverted"),
    ("dropout", "none", lambda m: not any(isinstance(l, Dropout) for _, l in m.layers())),
    ("init", "paper-zero-bias", lambda m: not m["conv2"].params["bias"].any()),
    ("init", "paper", lambda m: (m["conv2"].params["bias"] == 1).all()),
    ("columns", "one", lambda m: m["conv2"].groups == 1 and m["conv2"].out_channels == 192),
    ("columns", "one-half", lambda m: m["conv2"].groups == 1 and m["conv2"].out_channels == 96),
])
def test_each_model_choice_builds_what_it_says(key, value, check):
    config = recipe.complete({key: value})
    model = recipe.build_model(config, 10)
    assert check(model)
    assert model.forward(numpy.zeros((2, 3, 32, 32), dtype=numpy.float32)).shape == (2, 10)


def test_two_towers_from_the_config():
    config = recipe.complete({"towers": 2, "norm": "batchnorm"})
    model = recipe.build_model(config, 10)
    assert [d.name for d in model.devices] == ["cpu:0", "cpu:1"]
    assert recipe.input_device(config) == "cpu:0"


@pytest.mark.parametrize("augment, random_crop, flip, pca", [
    ("none", False, False, False), ("crop-flip", True, True, False),
    ("crop-flip-pca", True, True, True)])
def test_augment(augment, random_crop, flip, pca):
    config = recipe.complete({"augment": augment})
    images = numpy.random.default_rng(0).integers(0, 256, (20, 3, 40, 40), dtype=numpy.uint8)
    pre = recipe.fit_preprocess(config, images)
    assert (pre.random_crop, pre.flip, pre.eigenvalues is not None) == (random_crop, flip, pca)
    batch = pre.train(images[:4], numpy.random.default_rng(1))
    if augment == "none":          # training sees exactly what testing sees
        numpy.testing.assert_array_equal(batch, pre.test(images[:4]))


def test_optimiser_and_schedule_from_the_config():
    model = recipe.build_model(recipe.complete({}), 10)
    for sgd in ("paper", "pytorch"):
        assert recipe.make_optimizer(recipe.complete({"sgd": sgd}), model).form == sgd
    kinds = {name: type(recipe.make_schedule(recipe.complete({"schedule": name})))
             for name in recipe.SCHEDULES}
    assert kinds == {"plateau": PlateauLR, "step": StepLR, "constant": ConstantLR}


def test_the_registries_are_what_the_cli_offers():
    from minialex.cli import build_parser
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    offered = {action.dest: action.choices for action in train._actions if action.choices}
    assert set(offered["model"]) == set(recipe.MODELS)
    assert set(offered["dataset"]) == set(recipe.DATASETS)
    for key, values in recipe.CHOICES.items():
        assert tuple(offered[key]) == tuple(values), key


def image_folder(root, train=("ant", "bee", "cat"), val=("ant", "cat"), per_class=8):
    from tests.data.test_imagefolder import solid
    for split, names in (("train", train), ("val", val)):
        for label, name in enumerate(names):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                solid(36, 36, (80 * label, 20 * i, 50)).save(root / split / name / f"{i}.png")
    return root


def test_a_limit_keeps_every_class_of_a_set_stored_class_by_class(tmp_path):
    config = recipe.complete({"dataset": "imagefolder", "data_dir": str(image_folder(tmp_path)),
                              "limit": 6})
    _, labels, classes = recipe.load_split(config, "train")
    assert classes == ["ant", "bee", "cat"] and sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2]


def test_val_is_labelled_through_train_s_classes(tmp_path):
    config = recipe.complete({"dataset": "imagefolder", "data_dir": str(image_folder(tmp_path))})
    _, labels, classes = recipe.load_split(config, "test")      # val/ has no bee
    assert classes == ["ant", "bee", "cat"] and sorted(set(labels.tolist())) == [0, 2]


def test_resume_config_keeps_what_the_run_is():
    saved = recipe.complete({"lr": 0.05})
    saved["num_classes"] = 10
    config = recipe.resume_config(saved, {"epochs": 9, "device": "cpu", "lr": 0.05})
    assert config["epochs"] == 9 and config["lr"] == 0.05 and config["num_classes"] == 10
    for key, value in (("lr", 0.1), ("norm", "batchnorm"), ("towers", 2), ("seed", 3)):
        with pytest.raises(ValueError, match=f"{recipe.flag(key)} .* differs from the run's"):
            recipe.resume_config(saved, {key: value})


def test_an_older_checkpoint_without_a_key_resumes_with_its_default():
    saved = {k: v for k, v in recipe.complete({}).items() if k != "sgd"}
    saved["num_classes"] = 10
    assert recipe.resume_config(saved, {"sgd": "paper"})["sgd"] == "paper"
    before_columns = {k: v for k, v in saved.items() if k != "columns"}
    assert recipe.saved_config(before_columns)["columns"] == "two"


def test_fine_tuning_starts_from_a_run_but_its_classifier(tmp_path):
    shapes = {"dataset": "shapes", "limit": 40, "epochs": 1, "batch_size": 20}
    recipe.run_training(recipe.complete(shapes), str(tmp_path / "a"), progress=False,
                        log=lambda *_: None)
    config = recipe.complete({**shapes, "init_from": str(tmp_path / "a"), "seed": 3})
    assert config["init_from"] == str(tmp_path / "a" / "checkpoint.npz")
    model = recipe.build_model(config, 4)
    fresh = model.state_dict()
    pretrained = recipe.pretrained_weights(config)
    recipe.start_from_run(model, pretrained)
    for key, value in model.state_dict().items():
        expected = fresh[key] if key.startswith("fc8.") else pretrained[key]
        numpy.testing.assert_array_equal(value, expected, err_msg=key)
    with pytest.raises(ValueError, match="--init-from .*--norm lrn there, none here"):
        recipe.pretrained_weights(recipe.complete({**config, "norm": "none",
                                                   **dict.fromkeys(recipe.FROM_THE_DATA)}))
    with pytest.raises(ValueError, match="--init-from .*no such checkpoint"):
        recipe.complete({"init_from": str(tmp_path / "nowhere")})
