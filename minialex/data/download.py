"""Fetch a ``.tar.gz`` data set, check it, and put one folder of it into place all at once.

A data folder is either complete or absent: the archive is downloaded to a temporary file beside
the destination, its MD5 checked, extracted into a temporary folder beside the destination,
optionally validated, and only then renamed into place (a rename within one file system is atomic).
On any failure every temporary file and folder is removed, so a failed or interrupted download
never leaves a half-written data set that a later run would mistake for a good one.
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """Fetching, checking or unpacking a data set archive failed; nothing was left behind."""


def download_and_extract(url, md5, destination, folder, validate=None, timeout=60):
    """Download the tar.gz at ``url`` and install its top-level ``folder`` as ``destination``.

    ``url``: any scheme ``urllib`` opens (``https://``, ``file://`` ...). ``md5``: the expected
    hex digest of the archive, or ``None`` to skip the check. ``validate(path)``, when given, is
    called on the extracted folder before it is moved into place and may raise to reject it.
    Raises :class:`DownloadError` saying what failed; the destination is untouched on failure.
    """
    destination = Path(destination).expanduser()
    parent = destination.parent
    # The folders we create, deepest last, so a failure can remove them again.
    created = [p for p in reversed((parent,) + tuple(parent.parents)) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create the data directory {parent}: {error}; "
                            "pass a writable --data-dir") from error
    archive = workdir = None
    installed = False
    try:
        try:
            handle, archive = tempfile.mkstemp(prefix=".minialex-download-", suffix=".tar.gz",
                                               dir=parent)
        except OSError as error:
            raise DownloadError(f"cannot write into {parent}: {error}; "
                                "pass a writable --data-dir") from error
        digest = _fetch(url, handle, archive, timeout)
        if md5 is not None and digest != md5.lower():
            raise DownloadError(
                f"checksum mismatch for {url}: MD5 {digest}, expected {md5.lower()}; the download "
                "is corrupt or not the official archive: try again, or download it by hand and "
                f"unpack it so that {destination} exists")
        try:
            workdir = tempfile.mkdtemp(prefix=".minialex-extract-", dir=parent)
            _extract(archive, workdir)
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            raise DownloadError(f"cannot unpack the archive from {url}: {error}; the file is not "
                                "a valid tar.gz (or the disk is full): try the download again") \
                from error
        extracted = Path(workdir) / folder
        if not extracted.is_dir():
            raise DownloadError(f"the archive from {url} has no top-level folder {folder!r}; "
                                "is the URL right?")
        if validate is not None:
            try:
                validate(extracted)
            except (ValueError, OSError) as error:
                raise DownloadError(f"the archive from {url} unpacked, but its contents are not "
                                    f"valid: {error}") from error
        try:
            if destination.is_dir() and not any(destination.iterdir()):
                destination.rmdir()  # an empty placeholder folder: replace it
            os.rename(extracted, destination)
        except OSError as error:
            raise DownloadError(f"cannot move the unpacked data into {destination}: {error}") \
                from error
        installed = True
    finally:
        if archive is not None:
            try:
                os.remove(archive)
            except FileNotFoundError:
                pass
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        if not installed:
            for folder in reversed(created):
                try:
                    folder.rmdir()  # only ever empty folders: never anything someone else wrote
                except OSError:
                    break


def _fetch(url, handle, archive, timeout):
    """Stream ``url`` into the open file ``handle``; return the MD5 hex digest of what came."""
    # usedforsecurity=False: MD5 is a transfer check here, and FIPS builds refuse it otherwise.
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(url, timeout=timeout) as response:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as error:
        # URLError is an OSError; ValueError is an unknown URL type.
        raise DownloadError(f"download of {url} into {archive} failed: {error}; check the "
                            "network (or the URL), or download the archive by hand and unpack it "
                            "under --data-dir") from error
    return digest.hexdigest()


def _extract(archive, workdir):
    """Unpack ``archive`` under ``workdir``, refusing members that would land outside it."""
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: the safe filter
            tar.extractall(workdir, filter="data")
            return
        for member in tar.getmembers():
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                raise ValueError(f"refusing the archive member {member.name!r}: only plain files "
                                 "and folders inside the archive are allowed")
        tar.extractall(workdir)
