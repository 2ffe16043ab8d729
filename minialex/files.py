"""Writing files so that nothing the user saved is ever left half-written, and reading them
back safely.
"""

import os
import tempfile
import zipfile

import numpy


def atomic_write(path, write):
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it over
    ``path``. A failure (a full disk, Ctrl-C) removes the temporary file and leaves any old
    ``path`` untouched; readers only ever see the old file or the whole new one."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(error, OSError):          # say which file (a full disk names none)
            raise OSError(error.errno, f"could not write {path} "
                          f"({error.strerror or error}); nothing was replaced") from error
        raise
    return path


def read_npz(path, what):
    """``{name: array}`` of the ``.npz`` file at ``path``; ``what`` names it in messages.

    A missing file is a ``FileNotFoundError`` naming the path. A truncated or corrupt file,
    or one holding Python objects (which minialex never saves, and never loads: unpickling can
    run code), is a ``ValueError`` that names the path and says which.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no {what} at {path}")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not a {what} file")
    try:
        with open(path, "rb") as f:           # ours to close, whatever numpy.load raises
            archive = numpy.load(f, allow_pickle=False)
            if not isinstance(archive, numpy.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz archive")
            with archive:
                return {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise ValueError(f"{path} holds Python objects, which a {what} never contains; "
                             "minialex does not read them") from None
        raise ValueError(f"{path} is not a readable {what} ({error})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise ValueError(f"{path} is not a readable {what}: the file is truncated or "
                         f"corrupt ({type(error).__name__}: {error})") from None
