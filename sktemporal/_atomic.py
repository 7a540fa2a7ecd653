"""Write files and folders so that they are never seen half-written.

Everything is first written under a temporary name in the destination's own folder (so that
the final rename stays on one file system, where it is atomic), then renamed into place.
"""

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = [
    "file_mode",
    "sha256",
    "temporary_file",
    "write_atomic",
    "write_directory_atomic",
    "write_temporary",
]


def _umask():
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def file_mode():
    """Permissions of a newly created file under the current umask (``mkstemp`` gives 0o600)."""
    return 0o666 & ~_umask()


@contextlib.contextmanager
def temporary_file(path, suffix=".tmp"):
    """A new empty file beside ``path``, with a new file's permissions, deleted on error.

    For writers that need a file name (Keras saves to a path): write it, then
    ``os.replace`` it onto ``path`` inside the block. If the block raises, the temporary file
    is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The destination; its folder is created if missing.
    suffix : str, default=".tmp"
        End of the temporary name (Keras wants ``.keras``).

    Yields
    ------
    str
        The temporary file's path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        os.chmod(temporary, file_mode())
        yield temporary
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_temporary(path, text):
    """Write ``text`` to a new temporary file in the folder of ``path``; return its path."""
    with temporary_file(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
    return temporary


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file, so it is never half-written."""
    temporary = write_temporary(path, text)
    try:
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_directory_atomic(directory, files):
    """Write text files into ``directory``, each complete or not at all.

    A new folder is filled under a temporary name beside it and renamed into place, so it
    appears with all its files; in a folder that exists already each file is replaced
    atomically, and other files there are left alone.

    Parameters
    ----------
    directory : str or os.PathLike
        The folder to write.
    files : dict of str to str
        File name (inside ``directory``) to text.

    Raises
    ------
    NotADirectoryError
        If ``directory`` exists and is not a folder.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"'{directory}' exists and is not a directory.")
    if directory.is_dir():
        for name, text in files.items():
            write_atomic(directory / name, text)
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        os.chmod(temporary, 0o777 & ~_umask())  # mkdtemp gives 0o700
        for name, text in files.items():
            write_atomic(temporary / name, text)
        os.rename(temporary, directory)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def sha256(path):
    """SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
