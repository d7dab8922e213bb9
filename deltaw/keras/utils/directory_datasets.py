"""`image_dataset_from_directory` and `text_dataset_from_directory`: a folder of class folders
as a dataset that `fit` consumes.

As Keras 3: with `labels="inferred"` each sub-folder of `directory` is a class (sorted by name;
hidden folders skipped) and its files, searched recursively, are that class's samples. The files
are listed in Keras' order (class by class, folders and names sorted), shuffled once with
`np.random.RandomState(seed)` when `shuffle=True`, and `validation_split` takes the last fraction
of that list for `subset="validation"` and the rest for `"training"`, so a training and a
validation dataset made with the same seed never overlap, and hold the same files as Keras'.

The result is a `BatchDataset` (a `keras.utils.PyDataset`) rather than a `tf.data.Dataset`: it has
`class_names` and `file_paths`, reads the files of each batch when the batch is asked for, and
with `shuffle=True` visits the samples in a new order each epoch after the first. Images are
decoded and resized by Pillow, so pixel values after resizing are close to, but not equal to,
TensorFlow's.
"""

from __future__ import annotations

import os

import numpy as np

from deltaw.keras.utils.dataset_utils import BatchDataset

__all__ = ["image_dataset_from_directory", "index_directory", "text_dataset_from_directory"]

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                   "mitchellcubic")


def _class_folders(where, directory, class_names):
    found = sorted(name for name in os.listdir(directory)
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith("."))
    if class_names is None:
        return found
    if not set(class_names) <= set(found):
        raise ValueError(f"{where}: class_names {list(class_names)} do not match the sub-folders "
                         f"of {directory}; expected some of {found}.")
    return list(class_names)


def _files_under(folder, follow_links, formats):
    """Files ending in `formats` under `folder`, walked in Keras' order (sorted roots, names)."""
    walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0])
    for root, _, names in walk:
        for name in sorted(names):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True, where="index_directory"):
    """`(file_paths, labels, class_names)` as Keras' `index_directory` lists them.

    Args:
        directory: The folder.
        labels: `"inferred"`, None, or a list of integer labels for the files in sorted order.
        formats: Tuple of accepted file endings (lower case).
        class_names: With `labels="inferred"`, the sub-folders to use, in this order.
        shuffle: Shuffle the files once with `np.random.RandomState(seed)`.
        seed: Seed of the shuffle.
        follow_links: Follow symbolic links to folders.
        verbose: Print how many files and classes were found.
        where: Name for messages.

    Returns:
        The file paths, an int32 label array (None without labels) and the class names.
    """
    if not os.path.isdir(directory):
        raise ValueError(f"{where}: {directory} is not a folder; expected a folder of images.")
    if labels == "inferred":
        classes = _class_folders(where, directory, class_names)
    else:
        if class_names is not None:
            raise ValueError(f"{where}: class_names can only be given with labels='inferred'; "
                             f"got labels={labels!r}.")
        classes = [""]
    paths, label_list = [], []
    for index, name in enumerate(classes):
        found = list(_files_under(os.path.join(directory, name), follow_links, formats))
        paths += found
        label_list += [index] * len(found)
    if labels == "inferred":
        labels = np.asarray(label_list, dtype=np.int32)
    elif labels is None:
        classes = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"{where}: labels has {len(labels)} entries; expected one per file, "
                             f"{len(paths)} files found in {directory}.")
        classes = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        print(f"Found {len(paths)} files." if labels is None else
              f"Found {len(paths)} files belonging to {len(classes)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(int(1e6))
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, classes


def _check_arguments(where, labels, label_mode, class_names, validation_split, subset, shuffle,
                     seed):
    if labels not in ("inferred", None):
        if not isinstance(labels, list | tuple):
            raise ValueError(f"{where}: labels must be 'inferred', None, or a list or tuple of "
                             f"integer labels, one per file; got labels={labels!r}.")
        if class_names:
            raise ValueError(f"{where}: class_names can only be given with labels='inferred'; "
                             f"got labels={labels!r}, class_names={class_names!r}.")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"{where}: label_mode must be 'int', 'categorical', 'binary' or None; "
                         f"got label_mode={label_mode!r}.")
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{where}: validation_split must be between 0 and 1; got "
                         f"validation_split={validation_split}.")
    if bool(validation_split) != bool(subset):
        raise ValueError(f"{where}: subset and validation_split must be given together; got "
                         f"validation_split={validation_split!r}, subset={subset!r}.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"{where}: subset must be 'training', 'validation' or 'both'; got "
                         f"subset={subset!r}.")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{where}: validation_split with shuffle=True needs a seed, so that the "
                         "training and validation subsets do not overlap; got seed=None.")


def _subset(paths, labels, validation_split, subset):
    """Keras' split: the last `int(validation_split * n)` files are the validation subset."""
    if not validation_split:
        return paths, labels
    num_val = int(validation_split * len(paths))
    at = len(paths) - num_val
    if subset == "training":
        print(f"Using {at} files for training.")
        return paths[:at], None if labels is None else labels[:at]
    print(f"Using {num_val} files for validation.")
    return paths[at:], None if labels is None else labels[at:]


def _encode_labels(labels, label_mode, num_classes):
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[labels]
    return labels.astype(np.int32)


def _make(where, directory, labels, label_mode, class_names, formats, batch_size, shuffle, seed,
          validation_split, subset, follow_links, verbose, load, kind):
    """The dataset (or `[training, validation]` for `subset="both"`) of `load(path)` samples."""
    _check_arguments(where, labels, label_mode, class_names, validation_split, subset, shuffle,
                     seed)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if seed is None:
        seed = np.random.randint(int(1e6))
    paths, labels, class_names = index_directory(directory, labels, formats, class_names,
                                                 shuffle, seed, follow_links, verbose, where)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{where}: label_mode='binary' needs exactly 2 classes; got "
                         f"class_names={class_names}.")
    parts = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for part in parts:
        part_paths, part_labels = _subset(paths, labels, validation_split, part)
        if not part_paths:
            raise ValueError(f"{where}: no {kind} found in {directory}"
                             f"{'' if part is None else f' for the {part} subset'}; expected "
                             f"files ending in {', '.join(formats)}.")
        targets = (None if part_labels is None else
                   _encode_labels(part_labels, label_mode, len(class_names)))
        ds = BatchDataset(len(part_paths), _sample_getter(part_paths, targets, load), batch_size,
                          shuffle=shuffle and part != "validation", seed=seed)
        ds.class_names, ds.file_paths = class_names, part_paths
        datasets.append(ds)
    return datasets if subset == "both" else datasets[0]


def _sample_getter(paths, targets, load):
    if targets is None:
        return lambda i: load(paths[i])
    return lambda i: (load(paths[i]), targets[i])


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256),
                                 shuffle=True, seed=None, validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, verbose=True):
    """A dataset of image batches from a folder of class folders, as Keras' function.

    Args:
        directory: Folder with one sub-folder per class (`labels="inferred"`), or the images.
        labels: `"inferred"`, None (images only), or a list of int labels for the image files
            in sorted path order.
        label_mode: `"int"` (int32 labels), `"categorical"` (float32 one-hot), `"binary"`
            (float32 of shape `(batch, 1)`, two classes only) or None (no labels).
        class_names: With `"inferred"`, the sub-folders to use, in this label order.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (1, 3 or 4 channels).
        batch_size: Images per batch; None gives single images.
        image_size: `(height, width)` that every image is resized to (an int for a square).
        shuffle: Shuffle the files (once, with the seed) and the samples again every epoch.
        seed: Seed of the shuffles; required with `validation_split` and `shuffle`.
        validation_split: Fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (returns `[train, val]`).
        interpolation: Resizing filter: `"bilinear"`, `"nearest"`, `"bicubic"`, `"area"`,
            `"lanczos3"`, `"lanczos5"`, `"gaussian"` or `"mitchellcubic"` (each mapped to the
            closest Pillow filter).
        follow_links: Follow symbolic links to folders.
        crop_to_aspect_ratio: Crop the centre to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad to the target aspect ratio (black bars) before resizing.
        data_format: `"channels_last"` or `"channels_first"`; default `image_data_format()`.
        verbose: Print the counts of files and classes found.

    Returns:
        A `BatchDataset` of `(images, labels)` batches (images alone without labels), images
        float32 of shape `(batch, height, width, channels)`; with `class_names` and
        `file_paths` attributes. `subset="both"` returns `[training, validation]`.

    Raises:
        ImportError: Pillow is not installed.
        ValueError: bad arguments or no images found (Keras' checks).
    """
    from deltaw.keras.utils.image_utils import _data_format, _filter, _pil, _resize, img_to_array

    where = "image_dataset_from_directory"
    if color_mode not in ("rgb", "rgba", "grayscale"):
        raise ValueError(f"{where}: color_mode must be 'rgb', 'rgba' or 'grayscale'; got "
                         f"color_mode={color_mode!r}.")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, list | tuple) or len(image_size) != 2:
        raise ValueError(f"{where}: image_size must be a tuple of 2 ints; got "
                         f"image_size={image_size!r}.")
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{where}: interpolation must be one of {', '.join(_INTERPOLATIONS)}; "
                         f"got interpolation={interpolation!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{where}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can "
                         "be True.")
    data_format = _data_format(where, data_format)
    image_module = _pil(where)
    resample = _filter(where, image_module, interpolation)
    mode = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode]

    def load(path):
        with image_module.open(path) as img:
            img = img.convert(mode) if img.mode != mode else img.copy()
        img = _resize(img, image_size, resample, crop_to_aspect_ratio, pad_to_aspect_ratio)
        return img_to_array(img, data_format=data_format)

    return _make(where, directory, labels, label_mode, class_names, IMAGE_FORMATS, batch_size,
                 shuffle, seed, validation_split, subset, follow_links, verbose, load, "images")


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                verbose=True):
    """A dataset of text batches from a folder of class folders of `.txt` files, as Keras.

    Args:
        directory: Folder with one sub-folder per class (`labels="inferred"`), or the files.
        labels: `"inferred"`, None (texts only), or a list of int labels for the files in
            sorted path order.
        label_mode: `"int"`, `"categorical"`, `"binary"` or None, as for images.
        class_names: With `"inferred"`, the sub-folders to use, in this label order.
        batch_size: Texts per batch; None gives single texts.
        max_length: Keep only the first `max_length` characters of each text.
        shuffle: Shuffle the files (once, with the seed) and the samples again every epoch.
        seed: Seed of the shuffles; required with `validation_split` and `shuffle`.
        validation_split: Fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (returns `[train, val]`).
        follow_links: Follow symbolic links to folders.
        verbose: Print the counts of files and classes found.

    Returns:
        A `BatchDataset` of `(texts, labels)` batches, texts a NumPy array of `str` (decoded as
        UTF-8; Keras' tf.data gives bytes strings); with `class_names` and `file_paths`.
    """
    def load(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        return text if max_length is None else text[:max_length]

    return _make("text_dataset_from_directory", directory, labels, label_mode, class_names,
                 (".txt",), batch_size, shuffle, seed, validation_split, subset, follow_links,
                 verbose, load, "text files")
