"""Data for minialex: data sets, §4.1 augmentation and mini-batch loading.

Data sets, each ``(images uint8 (N, 3, S, S), labels int64 (N,), class_names)``:

* :func:`load_cifar10`: CIFAR-10 from the official python-version folder (download optional).
* :func:`load_image_folder`: ``root/<class>/*.jpg`` (an ImageNet subset), shorter side rescaled
  and centre-cropped as in §4.1; :func:`load_tiny_imagenet`: Tiny ImageNet's layout.
* :func:`load_shapes`: a built-in, generated 10-class data set of geometric shapes.

Augmentation (§4.1): :func:`random_crop`, :func:`random_flip`, :func:`center_crop`,
:func:`ten_crop`, :func:`fit_pca_lighting`, :func:`pca_lighting`, :func:`compute_mean`,
:func:`subtract_mean`, all bundled by :class:`Preprocess`.

Batches: :class:`Loader` (shuffled per epoch, transformed and prefetched on a thread);
:func:`train_val_split` carves a validation set from a training set; :func:`stratified_subset`
takes a class-balanced part of one.
"""

from .augment import (center_crop, compute_mean, crop_at, fit_pca_lighting, flip, pca_lighting,
                      pca_offsets, random_crop, random_flip, subtract_mean, ten_crop)
from .cifar10 import load_cifar10
from .download import DownloadError, download_and_extract
from .imagefolder import (IMAGE_EXTENSIONS, decode_image, image_folder_classes,
                          list_image_folder, load_image_folder, load_tiny_imagenet)
from .loader import Loader
from .preprocess import Preprocess
from .shapes import SHAPES_CLASSES, load_shapes, make_shapes
from .split import stratified_subset, train_val_split

__all__ = ["load_cifar10", "load_image_folder", "load_tiny_imagenet", "list_image_folder",
           "decode_image", "image_folder_classes", "IMAGE_EXTENSIONS", "load_shapes",
           "make_shapes", "SHAPES_CLASSES",
           "DownloadError", "download_and_extract", "train_val_split", "random_crop",
           "random_flip", "flip", "center_crop", "crop_at", "ten_crop", "fit_pca_lighting",
           "pca_lighting", "pca_offsets", "compute_mean", "subtract_mean", "Preprocess", "Loader",
           "stratified_subset"]
