"""What a training run is made of, from one plain config dict: data, model, preprocessing.

The config is saved in every checkpoint, so ``minialex eval`` and ``minialex plot`` rebuild
exactly the model and the preprocessing a run used, from nothing but the checkpoint.

Image sizes (§4.1 scaled down): the paper stores 256x256 images and trains on 224 (here 227,
see ``alexnet``) crops. The 32x32 nets keep that idea at their size: CIFAR-10 and Shapes
images are padded by 4 pixels to 40x40 and cropped back to 32 (so a crop moves the image by
up to 4 pixels, the usual CIFAR recipe); Tiny ImageNet and image folders are rescaled to 36
(shorter side, then centre crop) and cropped to 32. For ``alexnet`` image folders are stored at
256 and cropped to 227.
"""

import os

import numpy

from . import data, models

MODELS = {"alexnet": models.alexnet, "alexnet_cifar": models.alexnet_cifar,
          "figure1_net": models.figure1_net}
DATASETS = ("shapes", "cifar10", "tiny-imagenet", "imagefolder")
# (stored size, crop) for the 32x32 nets on each dataset, and for alexnet
SMALL_SIZES = {"shapes": (40, 32), "cifar10": (40, 32), "tiny-imagenet": (36, 32),
               "imagefolder": (36, 32)}
ALEXNET_SIZES = (256, 227)
SHAPES_TRAIN, SHAPES_TEST = 3000, 1000

DEFAULTS = {
    "model": "alexnet_cifar", "dataset": "shapes", "data_dir": None, "download": False,
    "epochs": None, "batch_size": None, "lr": None, "momentum": 0.9, "weight_decay": 5e-4,
    "schedule": "plateau", "patience": 3, "seed": 0, "device": "cpu", "towers": 1,
    "devices": None, "val_fraction": 0.1, "ten_crop": False, "init": None,
    "num_classes": None,    # filled in from the data
    "limit": None,          # use only the first N images of each split (quick runs, tests)
}
# Per model, so that `minialex train` works out of the box (He init for the small nets,
# the paper's for alexnet); epochs default per dataset.
MODEL_DEFAULTS = {"alexnet": {"lr": 0.01, "init": "paper", "batch_size": 128},
                  "alexnet_cifar": {"lr": 0.01, "init": "he", "batch_size": 128},
                  "figure1_net": {"lr": 0.01, "init": "he", "batch_size": 128}}
EPOCHS = {"shapes": 4, "cifar10": 30, "tiny-imagenet": 30, "imagefolder": 30}
# The built-in quick run: only 2,700 small images, so smaller steps, and more of them (85 an
# epoch instead of 21), let the eight-layer net learn Shapes within the few minutes it is meant
# to take (measured: 0.7% validation error after four epochs, 340 updates).
QUICK_RUN = {"batch_size": 32, "lr": 0.02}


def complete(config):
    """The config with every default filled in; unknown keys or values fail by name."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown config keys: {unknown}")
    full = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    if full["model"] not in MODELS:
        raise ValueError(f"--model must be one of {sorted(MODELS)}, got {full['model']!r}")
    if full["dataset"] not in DATASETS:
        raise ValueError(f"--dataset must be one of {list(DATASETS)}, got {full['dataset']!r}")
    if full["dataset"] in ("tiny-imagenet", "imagefolder") or \
            (full["dataset"] == "cifar10" and not full["download"]):
        if not full["data_dir"]:
            raise ValueError(f"--dataset {full['dataset']} needs --data-dir (the folder that "
                             "holds it)" + (" or --download" if full["dataset"] == "cifar10"
                                             else ""))
    for key, value in MODEL_DEFAULTS[full["model"]].items():
        if config.get(key) is None:
            full[key] = value
    if full["dataset"] == "shapes":
        for key, value in QUICK_RUN.items():
            if config.get(key) is None:
                full[key] = value
    if config.get("epochs") is None:
        full["epochs"] = EPOCHS[full["dataset"]]
    if full["model"] == "alexnet" and full["dataset"] in ("shapes", "cifar10"):
        raise ValueError("alexnet takes 227x227 images: use alexnet_cifar or figure1_net for "
                         f"{full['dataset']}'s 32x32 images")
    if full["model"] == "figure1_net" and full["towers"] != 1:
        raise ValueError("figure1_net has one tower")
    if not 0 <= full["val_fraction"] < 1:
        raise ValueError(f"--val-fraction must be in [0, 1), got {full['val_fraction']}")
    return full


def image_sizes(config):
    return ALEXNET_SIZES if config["model"] == "alexnet" else SMALL_SIZES[config["dataset"]]


def load_split(config, split):
    """``(images uint8 (N, 3, S, S), labels, class names)`` of the dataset's "train" or "test"
    split ("test": CIFAR's test_batch, Tiny ImageNet's val, Shapes' test), at the stored size."""
    name, root = config["dataset"], config["data_dir"]
    stored, _ = image_sizes(config)
    if name == "shapes":
        n = SHAPES_TRAIN if split == "train" else SHAPES_TEST
        images, labels, classes = data.load_shapes(split, n=n, seed=config["seed"])
    elif name == "cifar10":
        root = root or os.path.join(os.path.expanduser("~"), ".cache", "minialex")
        images, labels, classes = data.load_cifar10(root, split, download=config["download"])
    elif name == "tiny-imagenet":
        images, labels, classes = data.load_tiny_imagenet(
            root, "train" if split == "train" else "val", size=stored)
    else:
        folder = os.path.join(root, "train" if split == "train" else "val")
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"imagefolder: expected {folder!r} holding one folder per "
                                    "class")
        images, labels, classes = data.load_image_folder(folder, size=stored)
    if config.get("limit"):
        images, labels = images[:config["limit"]], labels[:config["limit"]]
    if images.shape[-1] < stored:   # 32x32 sets: pad to the stored size, crops move them
        pad = (stored - images.shape[-1]) // 2
        images = numpy.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return images, labels, classes


def build_model(config, num_classes, towers=None, device=None):
    """The config's model; ``towers``/``device`` override the config (eval uses one tower)."""
    towers = config["towers"] if towers is None else towers
    kwargs = {"num_classes": num_classes, "init": config["init"], "seed": config["seed"]}
    if config["model"] != "figure1_net":
        kwargs["towers"] = towers
        kwargs["devices"] = (config["devices"] or ("cpu:0", "cpu:1")) if towers == 2 \
            else (device or config["device"])
    model = MODELS[config["model"]](**kwargs)
    if config["model"] == "figure1_net" and (device or config["device"]) != "cpu":
        model.to(device or config["device"])
    return model


def fit_preprocess(config, train_images):
    """§4.1 on the training images: per-pixel mean, PCA lighting, crops and reflections.

    The small He-initialised nets also divide by the pixels' standard deviation (He et al.'s
    initialisation assumes inputs of unit variance); alexnet keeps the paper's raw scale.
    """
    _, crop = image_sizes(config)
    scale = 1.0 if config["init"] == "paper" else \
        float(1.0 / max(train_images[:2000].astype(numpy.float32).std(), 1.0))
    return data.Preprocess.fit(train_images, crop_size=crop, flip=True, pca=True, mean="pixel",
                               scale=scale)


def ten_crop_transform(preprocess):
    def transform(images, rng=None):
        return preprocess.test_ten_crop(images)
    return transform
