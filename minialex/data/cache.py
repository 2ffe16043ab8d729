"""An on-disk cache of decoded image arrays, so a folder of JPEGs is decoded once.

Decoding and resizing thousands of JPEGs takes far longer than reading one ``.npy`` file of the
result, so :mod:`minialex.data.imagefolder` stores what it decoded here. An entry is keyed by a
hash of everything the decoded array depends on (the folder, the split, the output size and, for
every image, its path, byte size and modification time): change, add or remove one image and the
key changes, so a stale entry is never read. Writing a new entry removes the older ones of the
same folder, split and size, so the cache does not grow without bound.

Every file is written to a temporary name and renamed into place (``os.replace``), so a crash or a
concurrent reader never sees half an entry.
"""

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

import numpy

from ..files import atomic_write

CACHE_FOLDER = ".minialex-cache"
_FORMAT = 1  # bump when the decoding changes, so old entries are not read


def default_cache_dir(root):
    """``root/.minialex-cache`` when ``root`` is writable, else ``~/.cache/minialex``.

    ``$XDG_CACHE_HOME`` replaces ``~/.cache`` when set, as on any XDG system.
    """
    candidate = Path(root) / CACHE_FOLDER
    if os.access(candidate if candidate.is_dir() else Path(root), os.W_OK):
        return candidate
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "minialex"


def cache_name(root, split, size, entries):
    """``(prefix, name)`` of the cache entry for a decoded file list.

    entries: one ``(relative path, byte size, mtime in ns)`` per image, in load order. ``prefix``
    is shared by all entries of the same (root, split, size) and ``name`` starts with it.
    """
    root = str(Path(root).resolve())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(root).name)[:40] or "root"
    owner = hashlib.sha256(json.dumps([_FORMAT, root, split, size]).encode()).hexdigest()[:8]
    prefix = f"{slug}-{split}-{size}-{owner}-"
    digest = hashlib.sha256(json.dumps([_FORMAT, root, split, size, entries]).encode())
    return prefix, prefix + digest.hexdigest()[:20]


def file_entries(paths, root):
    """``(relative path, byte size, mtime in ns)`` of each path, the inputs of the cache key."""
    entries = []
    for path in paths:
        stat = os.stat(path)
        entries.append((Path(path).relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return entries


def read_entry(cache_dir, name, shape_tail):
    """``(images, skipped)`` stored under ``name``, or ``None`` when absent or unusable.

    images: uint8 (M, *shape_tail). skipped: indices (into the file list) of the images left out
    as corrupt when the entry was written.
    """
    array_path = Path(cache_dir) / (name + ".npy")
    meta_path = Path(cache_dir) / (name + ".json")
    if not array_path.is_file() or not meta_path.is_file():
        return None
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        # mmap_mode=None: read it all now, so later edits of the cache cannot change our array.
        images = numpy.load(array_path, mmap_mode=None, allow_pickle=False)
        skipped = [int(i) for i in meta["skipped"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        warnings.warn(f"ignoring the unreadable cache entry {array_path} ({error}); decoding the "
                      "images again", stacklevel=3)
        return None
    if images.dtype != numpy.uint8 or images.shape[1:] != tuple(shape_tail) or \
            meta.get("format") != _FORMAT or images.shape[0] != meta.get("count"):
        return None
    return images, skipped


def write_entry(cache_dir, name, prefix, images, skipped):
    """Store ``images`` and the ``skipped`` indices as ``name``; drop older ``prefix`` entries.

    A cache that cannot be written (read-only disk, full disk) only costs speed: it warns and
    returns False instead of failing the load.
    """
    cache_dir = Path(cache_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        meta = {"format": _FORMAT, "count": int(images.shape[0]),
                "skipped": [int(i) for i in skipped]}
        # The array goes last: an entry counts as present only when its .npy exists.
        atomic_write(cache_dir / (name + ".json"),
                      lambda f: f.write(json.dumps(meta).encode("utf-8")))
        atomic_write(cache_dir / (name + ".npy"), lambda f: numpy.save(f, images))
    except OSError as error:
        warnings.warn(f"could not write the image cache in {cache_dir} ({error}); the images "
                      "will be decoded again next time (pass cache_dir= to use another folder)",
                      stacklevel=3)
        return False
    for old in cache_dir.glob(glob_escape(prefix) + "*"):
        if old.stem != name and old.suffix in (".npy", ".json"):
            try:
                old.unlink()
            except OSError:
                pass  # another process may have removed it first
    return True


def glob_escape(text):
    """``text`` with the glob metacharacters ``*?[`` quoted."""
    return re.sub(r"([*?\[])", r"[\1]", text)


