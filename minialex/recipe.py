"""A training run from one plain config dict, and the two registries the CLI reads too.

The config is saved in every checkpoint, so ``minialex eval`` and ``minialex plot`` rebuild
exactly the model and the preprocessing a run used, from nothing but the checkpoint. Every
choice a later experiment varies is one key with a few documented values (``None``: the
model's or dataset's default, filled in by :func:`complete`):

==============  ==========================================================================
key             values
==============  ==========================================================================
``model``       a name in :data:`MODELS` ("alexnet", "alexnet_cifar", "figure1_net")
``dataset``     a name in :data:`DATASETS` ("shapes", "cifar10", "tiny-imagenet", "imagefolder")
``norm``        "lrn" (§3.3), "batchnorm" (not in the paper), "none"
``activation``  "relu" (§3.1), "tanh"
``pool``        "overlap" (3x3 windows, stride 2, §3.4), "nonoverlap" (2x2, stride 2)
``init``        "paper" (§5: N(0, 0.01²), biases 1), "paper-zero-bias", "he"
``sgd``         "paper" (§5's velocity form), "pytorch" (``torch.optim.SGD``'s)
``dropout``     "paper" (§4.2), "inverted", "none"
``augment``     "none", "crop-flip" (§4.1's crops and reflections), "crop-flip-pca" (+ PCA
                lighting)
``towers``      1, or 2 (the paper's two GPUs, Figure 2)
==============  ==========================================================================

and the run's settings: ``epochs``, ``batch_size``, ``lr``, ``momentum``, ``weight_decay``,
``schedule`` ("plateau", "step", "constant"), ``patience``, ``seed``, ``device``, ``devices``,
``val_fraction``, ``ten_crop``, ``limit``, ``data_dir``, ``download``.

Image sizes (§4.1 scaled down): the paper stores 256x256 images and trains on 224 (here 227,
see ``alexnet``) crops. The 32x32 nets keep that idea at their size: CIFAR-10 and Shapes
images are padded by 4 pixels to 40x40 and cropped back to 32 (so a crop moves the image by
up to 4 pixels, the usual CIFAR recipe); Tiny ImageNet and image folders are rescaled to 36
(shorter side, then centre crop) and cropped to 32. For ``alexnet`` image folders are stored at
256 and cropped to 227.
"""

import json
import math
import os
from dataclasses import dataclass
from typing import Callable

import numpy

from . import data, models
from .files import atomic_write
from .optim import FORMS, SGD, ConstantLR, PlateauLR, StepLR
from .train import Trainer, evaluate, evaluation_sums, load_checkpoint, say_nothing
from .distributed import check_batch
from .validate import choice

SHAPES_TRAIN, SHAPES_TEST = 3000, 1000
ALEXNET_SIZES = (256, 227)            # stored, crop


# -- datasets ---------------------------------------------------------------------------------
def _load_shapes(config, split, stored):
    n = SHAPES_TRAIN if split == "train" else SHAPES_TEST
    return data.load_shapes(split, n=n, seed=config["seed"])


def _load_cifar10(config, split, stored):
    root = config["data_dir"] or os.path.join(os.path.expanduser("~"), ".cache", "minialex")
    return data.load_cifar10(root, split, download=config["download"])


def _load_tiny_imagenet(config, split, stored):
    return data.load_tiny_imagenet(config["data_dir"], "train" if split == "train" else "val",
                                   size=stored, skip_corrupt=config["skip_corrupt"])


def _load_image_folder(config, split, stored):
    """train/ sets the classes; val/ is labelled through train's list of class names."""
    folders = {name: os.path.join(config["data_dir"], name) for name in ("train", "val")}
    for folder in folders.values():
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"imagefolder: expected {folder} holding one folder per "
                                    "class (--data-dir holds train/ and val/)")
    classes = config.get("class_names") or data.image_folder_classes(folders["train"])
    return data.load_image_folder(folders["train" if split == "train" else "val"], size=stored,
                                  skip_corrupt=config["skip_corrupt"], class_names=classes)


@dataclass(frozen=True)
class DatasetEntry:
    """One entry of :data:`DATASETS`."""
    description: str
    load: Callable        # (config, "train" or "test", stored size) -> images, labels, classes
    small_sizes: tuple    # (stored, crop) of its images for the 32x32 nets
    epochs: int           # default number of epochs
    needs_data_dir: bool  # --data-dir is required (unless it can be downloaded)
    downloadable: bool = False
    native_size: int = None   # the side its images have (None: any, rescaled on loading)


DATASETS = {
    "shapes": DatasetEntry("built-in generated shapes, 10 classes (no download)",
                           _load_shapes, (40, 32), epochs=4, needs_data_dir=False,
                           native_size=32),
    "cifar10": DatasetEntry("CIFAR-10, the official python folder", _load_cifar10, (40, 32),
                            epochs=30, needs_data_dir=True, downloadable=True, native_size=32),
    "tiny-imagenet": DatasetEntry("Tiny ImageNet's layout (wnids.txt, train/, val/)",
                                  _load_tiny_imagenet, (36, 32), epochs=30,
                                  needs_data_dir=True),
    "imagefolder": DatasetEntry("train/<class>/*.jpg and val/<class>/*.jpg",
                                _load_image_folder, (36, 32), epochs=30, needs_data_dir=True),
}


# -- models -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelEntry:
    """One entry of :data:`MODELS`."""
    description: str
    build: Callable
    input_size: int               # the side of the images it takes
    defaults: dict                # lr, batch_size and the choices it makes by default
    towers: tuple = (1, 2)
    # the config keys it takes
    options: tuple = ("norm", "activation", "pool", "dropout", "columns")


MODELS = {
    "alexnet": ModelEntry("AlexNet as in the paper (§3.5, Figure 2), 227x227 inputs",
                          models.alexnet, 227,
                          {"lr": 0.01, "batch_size": 128, "init": "paper", "norm": "lrn",
                           "dropout": "paper", "columns": "two"}),
    "alexnet_cifar": ModelEntry("AlexNet's eight layers sized for 32x32 images",
                                models.alexnet_cifar, 32,
                                {"lr": 0.01, "batch_size": 128, "init": "he", "norm": "lrn",
                                 "dropout": "paper", "columns": "two"}),
    "figure1_net": ModelEntry("Figure 1's four-layer CIFAR-10 net", models.figure1_net, 32,
                              {"lr": 0.01, "batch_size": 128, "init": "he", "norm": "none",
                               "dropout": "none", "columns": "one"},
                              towers=(1,), options=("norm", "activation", "pool")),
}

# The built-in quick run: only 2,700 small images, so smaller steps, and more of them (85 an
# epoch instead of 21), let the eight-layer net learn Shapes within the few minutes it is meant
# to take.
QUICK_RUN = {"batch_size": 32, "lr": 0.02}

# -- the config -------------------------------------------------------------------------------
AUGMENTS = ("none", "crop-flip", "crop-flip-pca")
SCHEDULES = ("plateau", "step", "constant")
CHOICES = {"norm": models.NORMS, "activation": tuple(models.ACTIVATIONS),
           "pool": tuple(models.POOLS), "init": models.INITS, "sgd": tuple(FORMS),
           "dropout": models.DROPOUTS, "augment": AUGMENTS, "towers": (1, 2),
           "columns": models.COLUMNS,
           "schedule": SCHEDULES}

CHOICE_HELP = {
    "norm": "lrn (§3.3; the default, figure1_net: none), batchnorm (not in the paper) or none",
    "activation": "relu (§3.1, default) or tanh",
    "pool": "overlap (3x3 windows at stride 2, §3.4, default) or nonoverlap (2x2 at stride 2)",
    "init": "paper (§5; alexnet's default), paper-zero-bias or he (the small nets' default)",
    "sgd": "paper (§5's update rule, default) or pytorch (its velocity form)",
    "dropout": "paper (§4.2, default), inverted or none",
    "augment": "crop-flip-pca (§4.1, default), crop-flip or none",
    "towers": "1 (default) or 2: the paper's two GPUs (Figure 2)",
    "columns": "two (Figure 2's grouped layers, default), one (groups 1, full width) or "
               "one-half (§6.1's one-GPU net: half the kernels in conv1-conv4)",
    "schedule": "plateau (default): divide by 10 when validation stops improving; step: every "
                "third of the run; constant",
}

DEFAULTS = {
    "model": "alexnet_cifar", "dataset": "shapes", "data_dir": None, "download": False,
    "epochs": None, "batch_size": None, "lr": None, "momentum": 0.9, "weight_decay": 5e-4,
    "schedule": "plateau", "patience": 3, "seed": 0, "device": "cpu", "towers": 1,
    "devices": None, "val_fraction": 0.1, "ten_crop": False,
    "norm": None, "activation": "relu", "pool": "overlap", "init": None, "sgd": "paper",
    "dropout": None, "augment": "crop-flip-pca", "columns": None,
    "num_classes": None,    # filled in from the data
    "class_names": None,    # likewise; every later split (and resume, eval) is read through it
    "limit": None,          # use only N images of each split, every class in proportion
    "skip_corrupt": False,  # leave out images that cannot be decoded (with a warning each)
    "init_from": None,      # fine-tuning: a run (or its checkpoint.npz) whose weights start
                            # this one, all but the classifier's (see start_from_run)
}

# What may change when a run resumes: where the data is and what it runs on. Every other key
# is part of what the run is, and a resume that asks for another value is refused.
RESUMABLE = ("data_dir", "download", "device", "devices", "epochs", "skip_corrupt")
FROM_THE_DATA = ("num_classes", "class_names")


def flag(key):
    """The command-line flag of a config key: ``batch_size`` -> ``--batch-size``."""
    return "--" + key.replace("_", "-")


def complete(config):
    """The config with every default filled in; unknown keys or values fail by name."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown config keys: {unknown}")
    full = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    choice(full["model"], "model", flag("model"), MODELS)
    choice(full["dataset"], "dataset", flag("dataset"), DATASETS)
    model, dataset = MODELS[full["model"]], DATASETS[full["dataset"]]
    for key, value in {**model.defaults, **(QUICK_RUN if full["dataset"] == "shapes" else {})
                       }.items():
        if config.get(key) is None:
            full[key] = value
    if config.get("epochs") is None:
        full["epochs"] = dataset.epochs
    for key, values in CHOICES.items():
        if full[key] not in values:
            raise ValueError(f"{flag(key)} must be one of {list(values)}, got {full[key]!r}")
    if dataset.needs_data_dir and not full["data_dir"] and not \
            (dataset.downloadable and full["download"]):
        raise ValueError(f"{flag('dataset')} {full['dataset']} needs {flag('data_dir')} (the "
                         "folder that holds it)" + (" or --download" if dataset.downloadable
                                                    else ""))
    if dataset.native_size is not None and dataset.native_size < model.input_size:
        raise ValueError(f"{full['model']} takes {model.input_size}x{model.input_size} images: "
                         f"use alexnet_cifar or figure1_net for {full['dataset']}'s "
                         f"{dataset.native_size}x{dataset.native_size} images")
    if full["towers"] not in model.towers:
        raise ValueError(f"{full['model']} has one tower (--towers 1)")
    if "dropout" not in model.options and full["dropout"] != "none":
        raise ValueError(f"{full['model']} has no dropout layers: --dropout must be none")
    if "columns" not in model.options and full["columns"] != model.defaults["columns"]:
        raise ValueError(f"{full['model']} has one column: --columns must be "
                         f"{model.defaults['columns']}")
    if full["towers"] == 2 and full["columns"] != "two":
        raise ValueError("--towers 2 splits Figure 2's two columns over two devices: it needs "
                         f"--columns two, not {full['columns']}")
    if full["devices"] is not None and full["towers"] != 2:
        raise ValueError("--devices places two towers: add --towers 2 (one tower takes "
                         "--device)")
    for key, minimum in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("seed", 0),
                         ("limit", 1)):
        value = full[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < minimum):
            raise ValueError(f"{flag(key)} must be an integer >= {minimum}, got {value!r}")
    for key, low in (("lr", "> 0"), ("momentum", ">= 0"), ("weight_decay", ">= 0")):
        value = full[key]
        if not (isinstance(value, (int, float)) and math.isfinite(value)
                and (value > 0 if low == "> 0" else value >= 0)):
            raise ValueError(f"{flag(key)} must be a finite number {low}, got {value!r}")
    if not 0 <= full["val_fraction"] < 1:
        raise ValueError(f"--val-fraction must be in [0, 1), got {full['val_fraction']}")
    if full["init_from"] is not None:
        full["init_from"] = checkpoint_path(full["init_from"], flag("init_from"))
    return full


def checkpoint_path(path, owner):
    """A run folder or a checkpoint file, as the checkpoint file; refused by ``owner`` when
    there is none."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "checkpoint.npz")
    if not os.path.isfile(path):
        raise ValueError(f"{owner} {path}: no such checkpoint (give a run folder or its "
                         "checkpoint.npz)")
    return path


def resume_config(saved, given):
    """The config a run resumes with: the ``saved`` one, with the ``given`` values of the keys
    that may change (:data:`RESUMABLE`) applied. Any other given value must be the saved one:
    a resume never changes what a run is, silently or not."""
    kept = complete(_own_keys(saved))      # as the run had it, with an older run's defaults
    for key, value in given.items():
        if key not in RESUMABLE and key in DEFAULTS and kept.get(key) != value:
            raise ValueError(
                f"--resume: {flag(key)} {_shown(value)} differs from the run's "
                f"{flag(key)} {_shown(kept.get(key))}; a resumed run keeps what it was started "
                "with: drop the flag, or start a new run (another --out, or --overwrite)")
    config = complete({**_own_keys(saved), **{k: v for k, v in given.items() if k in RESUMABLE}})
    return restore_classes(config, saved)


def saved_config(saved):
    """The config a checkpoint was trained with (``saved``), completed with today's defaults
    for any key an older minialex did not save (their values are the ones it used)."""
    return restore_classes(complete(_own_keys(saved)), saved)


def _own_keys(saved):
    return {k: v for k, v in saved.items() if k in DEFAULTS and k not in FROM_THE_DATA}


def restore_classes(config, saved):
    for key in FROM_THE_DATA:
        config[key] = saved.get(key)
    return config


def _shown(value):
    return ",".join(value) if isinstance(value, (list, tuple)) else value


# -- what the config makes --------------------------------------------------------------------
def image_sizes(config):
    """(stored side, crop side) of the run's images."""
    if MODELS[config["model"]].input_size == 227:
        return ALEXNET_SIZES
    return DATASETS[config["dataset"]].small_sizes


def load_split(config, split):
    """``(images uint8 (N, 3, S, S), labels, class names)`` of the dataset's "train" or "test"
    split ("test": CIFAR's test_batch, Tiny ImageNet's val, Shapes' test), at the stored size."""
    stored, _ = image_sizes(config)
    images, labels, classes = DATASETS[config["dataset"]].load(config, split, stored)
    if config.get("limit"):           # every class in proportion, not the first few
        keep = data.stratified_subset(labels, config["limit"], seed=config["seed"])
        images, labels = images[keep], labels[keep]
    if images.shape[-1] < stored:   # 32x32 sets: pad to the stored size, crops move them
        pad = (stored - images.shape[-1]) // 2
        images = numpy.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return images, labels, classes


def check_fits(config, trained_on, preprocess, images, classes):
    """Refuse to evaluate a checkpoint on data it cannot take (``config`` names the data, the
    checkpoint's model was ``trained_on`` another data set): a different number of classes, or
    images of a different stored size than its preprocessing (its mean image) expects."""
    problems = []
    if len(classes) != config["num_classes"]:
        problems.append(f"{len(classes)} classes where the model has {config['num_classes']}")
    elif config.get("class_names") and list(classes) != list(config["class_names"]):
        problems.append(f"other class names ({', '.join(map(str, classes[:3]))}, ...) than the "
                        f"run's ({', '.join(map(str, config['class_names'][:3]))}, ...)")
    mean = preprocess.mean
    if mean is not None and mean.shape[-1] != 1 and images.shape[-1] != mean.shape[-1]:
        problems.append(f"images stored at {images.shape[-1]}x{images.shape[-1]} where the "
                        f"run's preprocessing takes {mean.shape[-1]}x{mean.shape[-1]}")
    if problems:
        raise ValueError(f"the checkpoint was trained on {trained_on}; {config['dataset']} has "
                         + " and ".join(problems) + ": evaluate it on data with the same "
                         "classes and image size")


def build_model(config, num_classes, towers=None, device=None):
    """The config's model; ``towers``/``device`` override the config (eval uses one tower)."""
    entry = MODELS[config["model"]]
    towers = config["towers"] if towers is None else towers
    kwargs = {"num_classes": num_classes, "init": config["init"], "seed": config["seed"],
              **{key: config[key] for key in entry.options}}
    if entry.towers == (1,):
        kwargs["device"] = device or config["device"]
    else:
        kwargs["towers"] = towers
        kwargs["devices"] = (config["devices"] or ("cpu:0", "cpu:1")) if towers == 2 \
            else (device or config["device"])
    return entry.build(**kwargs)


def input_device(config):
    """Where the batches go: the first tower's device."""
    if config["towers"] == 2:
        return (config["devices"] or ["cpu:0"])[0]
    return config["device"]


def fit_preprocess(config, train_images):
    """§4.1 on the training images: the per-pixel mean, and what ``augment`` asks for:
    random crops and reflections ("crop-flip"), plus PCA lighting ("crop-flip-pca"); "none"
    trains on centre crops.

    The small He-initialised nets also divide by the pixels' standard deviation (He et al.'s
    initialisation assumes inputs of unit variance); the paper's init keeps the raw scale.
    """
    _, crop = image_sizes(config)
    scale = 1.0 if config["init"] != "he" else \
        float(1.0 / max(train_images[:2000].astype(numpy.float32).std(), 1.0))
    augment = config["augment"]
    return data.Preprocess.fit(train_images, crop_size=crop, random_crop=augment != "none",
                               flip=augment != "none", pca=augment == "crop-flip-pca",
                               mean="pixel", scale=scale)


def make_loaders(config, images, labels, train_idx, val_idx, preprocess, shard=(0, 1)):
    """The training loader (shuffled, augmented) and the validation loader (None when the run
    keeps no validation images); ``shard`` (rank, workers): this worker's share of each."""
    device = input_device(config)
    train = data.Loader(images[train_idx], labels[train_idx], config["batch_size"], shuffle=True,
                        seed=config["seed"], transform=preprocess, device=device, shard=shard)
    if not len(val_idx):
        return train, None
    transform = ten_crop_transform(preprocess) if config["ten_crop"] else preprocess.test
    val = data.Loader(images[val_idx], labels[val_idx], config["batch_size"], shuffle=False,
                      transform=transform, device=device, shard=shard)
    return train, val


def make_optimizer(config, model):
    """§5's SGD (or PyTorch's form of it, ``sgd``) with the config's rate, momentum and decay."""
    return SGD(model, config["lr"], config["momentum"], config["weight_decay"],
               form=config["sgd"])


def make_schedule(config):
    """``plateau`` (§5: divide by 10 when validation stops improving), ``step`` (divide by 10
    every third of the run) or ``constant``."""
    if config["schedule"] == "plateau":
        return PlateauLR(config["lr"], patience=config["patience"])
    if config["schedule"] == "step":
        return StepLR(config["lr"], step_size=max(1, config["epochs"] // 3))
    return ConstantLR(config["lr"])


def ten_crop_transform(preprocess):
    def transform(images, rng=None):
        return preprocess.test_ten_crop(images)
    return transform


# -- one whole run -------------------------------------------------------------------------------
TEST_FILE = "test.json"


@dataclass
class Run:
    """What :func:`run_training` leaves: the trained model and what it was trained with, and
    the test result (None when the training was interrupted)."""
    config: dict
    model: object
    preprocess: object
    trainer: Trainer
    test: dict


def run_training(config, out, resume=False, given=None, overwrite=False, progress=True,
                 log=print, distributed=None):
    """One training run, as ``minialex train`` makes it: data, model, the paper's SGD and
    schedule, the Trainer's epochs in ``out``, then the test split.

    ``config``: a completed config (ignored when ``resume``: the run's own is read, with the
    ``given`` values :func:`resume_config` allows). When every epoch is done, the test result
    is written to ``out/test.json``: a run with that file is finished, one without is not.
    ``distributed``: a :class:`minialex.distributed.Communicator` to train data-parallel (each
    worker calls this with the same arguments; worker 0 logs and writes).
    """
    if distributed is not None and distributed.rank != 0:
        log = say_nothing
    checkpoint, pretrained = None, None
    if resume:
        checkpoint = load_checkpoint(os.path.join(out, "checkpoint.npz"))
        config = resume_config(checkpoint["meta"]["config"], given or {})
    elif config["init_from"]:
        pretrained = pretrained_weights(config)
    shard = (0, 1)
    if distributed is not None:
        if config["towers"] == 2:
            raise ValueError("--distributed trains one tower per worker: two towers in each "
                             "worker are not supported (use --towers 1)")
        check_batch(config["batch_size"], distributed.size)
        shard = (distributed.rank, distributed.size)
    # Every split the run will use is opened and checked now, not after hours of training.
    images, labels, classes = load_split(config, "train")
    test_images, test_labels, _ = load_split(config, "test")
    config["num_classes"], config["class_names"] = len(classes), list(classes)
    train_idx, val_idx = data.train_val_split(len(labels), config["val_fraction"], config["seed"])
    preprocess = data.Preprocess.from_dict(checkpoint["preprocess"]) if checkpoint else \
        fit_preprocess(config, images[train_idx])
    model = build_model(config, len(classes))
    if pretrained is not None:
        start_from_run(model, pretrained)
    train_loader, val_loader = make_loaders(config, images, labels, train_idx, val_idx,
                                            preprocess, shard)
    trainer = Trainer(model, make_optimizer(config, model), make_schedule(config),
                      train_loader, val_loader, out, config=config, preprocess=preprocess,
                      ten_crop=config["ten_crop"], progress=progress, overwrite=overwrite,
                      log=log, distributed=distributed)
    if checkpoint:
        trainer.resume()
        log(f"resuming {out} after {_count(trainer.epoch, 'epoch')}")
    log(f"training {config['model']} on {config['dataset']}: {len(train_idx)} training and "
        f"{len(val_idx)} validation images, {_count(config['epochs'], 'epoch')}, lr "
        f"{config['lr']}, batch {config['batch_size']}, device "
        + (",".join(config["devices"] or ["cpu:0", "cpu:1"]) if config["towers"] == 2
           else config["device"])
        + (f", {distributed.size} workers" if distributed is not None else "")
        + f"; writing to {out}")
    trainer.fit(config["epochs"])
    test = None
    if trainer.epoch >= config["epochs"]:
        test_loader = data.Loader(test_images, test_labels, config["batch_size"], shuffle=False,
                                  transform=preprocess.test, device=input_device(config),
                                  shard=shard)
        if distributed is None:
            test = evaluate(model, test_loader)
        else:                           # each worker its share of the test split, summed
            sums = evaluation_sums(model, test_loader)
            loss, wrong1, wrong5, n = distributed.sum([sums[k] for k in
                                                       ("loss", "top1", "top5", "n")])
            test = {"loss": loss / n, "top1_error": wrong1 / n, "top5_error": wrong5 / n,
                    "n": int(n)}
        if distributed is None or distributed.rank == 0:
            atomic_write(os.path.join(out, TEST_FILE),
                         lambda f: f.write(json.dumps({**test, "epochs": trainer.epoch}).encode()))
    return Run(config, model, preprocess, trainer, test)


def pretrained_weights(config):
    """The weights of the run at ``config["init_from"]``, checked to fit this run's network:
    the same model with the same choices (the classes may differ)."""
    path = config["init_from"]
    saved = saved_config(load_checkpoint(path)["meta"]["config"])
    differs = [f"{flag(key)} {saved[key]} there, {config[key]} here"
               for key in ("model",) + MODELS[config["model"]].options
               if saved[key] != config[key]]
    if differs:
        raise ValueError(f"{flag('init_from')} {path}: its network differs from this run's ("
                         + "; ".join(differs) + ")")
    return load_checkpoint(path)["model"]


def start_from_run(model, pretrained):
    """Fine-tuning (§6's question, answered by ``minialex experiment pretraining``): every
    weight and buffer of ``model`` starts from ``pretrained`` except the classifier's (the
    last layer of the state dict): its outputs are the classes of the new data, so it starts
    fresh."""
    state = model.state_dict()
    classifier = list(state)[-1].rsplit(".", 1)[0]
    kept = {key: value for key, value in state.items() if key.startswith(classifier + ".")}
    model.load_state_dict({**pretrained, **kept})


def _count(n, noun):
    """``1 epoch``, ``4 epochs``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
