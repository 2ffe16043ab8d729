"""Train alexnet_cifar on CIFAR-10 with the Python API: the pieces `minialex train` puts together.

    python examples/train_cifar10.py --data-dir ../shared/data --epochs 30

Data (§4.1: crops, reflections, PCA lighting, mean image), the paper's SGD (§5) with its
divide-by-10-on-plateau schedule, a Trainer that checkpoints every epoch, and a final test.
"""

import argparse

import numpy

import minialex as mx
from minialex import data, runs
from minialex.optim import SGD, PlateauLR
from minialex.train import Trainer, evaluate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="holds cifar-10-batches-py")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--limit", type=int, default=None, help="first N images only")
    parser.add_argument("--out", default="runs/example-cifar10")
    args = parser.parse_args()

    images, labels, classes = data.load_cifar10(args.data_dir, "train")
    test_images, test_labels, _ = data.load_cifar10(args.data_dir, "test")
    images, labels = images[:args.limit], labels[:args.limit]
    # Pad 32x32 to 40x40: random 32x32 crops then shift each image by up to 4 pixels.
    pad = ((0, 0), (0, 0), (4, 4), (4, 4))
    images, test_images = numpy.pad(images, pad), numpy.pad(test_images, pad)
    train_idx, val_idx = data.train_val_split(len(labels), 0.1, seed=0)

    # Mean image and PCA lighting from the training part only; inputs scaled to unit variance
    # for the He initialisation.
    scale = 1.0 / images[train_idx].astype(numpy.float32).std()
    pre = data.Preprocess.fit(images[train_idx], crop_size=32, scale=scale)
    train = data.Loader(images[train_idx], labels[train_idx], 128, seed=0, transform=pre)
    val = data.Loader(images[val_idx], labels[val_idx], 128, shuffle=False, transform=pre.test)

    model = mx.alexnet_cifar(num_classes=len(classes), init="he", seed=0)
    optimizer = SGD(model, lr=0.01, momentum=0.9, weight_decay=5e-4)
    # A folder of our own: args.out, or args.out-2, -3 ... if that holds a run already.
    out, lock = runs.claim(None, args.out)
    print(f"writing to {out}")
    try:
        trainer = Trainer(model, optimizer, PlateauLR(0.01, patience=3), train, val, out,
                          preprocess=pre)
        trainer.fit(args.epochs)
    finally:
        lock.release()

    test = evaluate(model, data.Loader(test_images, test_labels, 128, shuffle=False,
                                       transform=pre.test))
    print(f"test accuracy {100 * (1 - test['top1_error']):.1f}% "
          f"(top-5 error {100 * test['top5_error']:.1f}%) on {test['n']} images")


if __name__ == "__main__":
    main()
