"""Write files and folders so that they are never seen half-written.

Everything is first written under a temporary name in the destination's own folder (so that
the final rename stays on one file system, where it is atomic), then renamed into place.
Files that belong together are written as one :class:`FileTransaction`: renamed into place
while holding a lock (:func:`locked`) that their readers take too, so that neither a reader
nor a second writer ever meets a mix of two writes.
"""

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

__all__ = [
    "FileTransaction",
    "file_mode",
    "locked",
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


def lock_path(path):
    """The lock file that guards ``path`` and the files written with it: hidden, beside it."""
    path = Path(path)
    return path.parent / f".{path.name}.lock"


#: One lock object per lock file and process, so that a reader inside a writer's transaction
#: (``flock`` locks are per open file, not per process) re-enters instead of waiting forever.
_LOCKS = {}
_LOCKS_GUARD = threading.Lock()

#: Seconds to wait for another process's transaction before giving up.
LOCK_TIMEOUT = 600


@contextlib.contextmanager
def locked(path, *, timeout=LOCK_TIMEOUT):
    """Hold the exclusive lock that guards ``path`` and the files written with it.

    Writers of a :class:`FileTransaction` hold it while they rename their files into place;
    readers hold it while they read files that must belong together. The lock is released
    when its process ends, so a crashed writer never leaves it held. In a folder where the
    lock file cannot be created (read-only), nobody can write either, and nothing is locked.

    Parameters
    ----------
    path : str or os.PathLike
        The main file of the set (for a training run, the model file).
    timeout : float, default=LOCK_TIMEOUT
        Seconds to wait for another process.

    Raises
    ------
    TimeoutError
        If another process holds the lock for longer than ``timeout``.
    """
    import filelock

    name = lock_path(path).resolve()
    if not name.parent.is_dir():  # nothing there to guard; and never create the folder
        yield
        return
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(name, filelock.FileLock(name))
    try:
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise TimeoutError(
            f"another process is writing '{path}': it has held '{name}' for more "
            f"than {timeout:g} s."
        ) from None
    except OSError:
        if os.access(name.parent, os.W_OK):
            raise
        yield  # a read-only folder: no writer can change it
        return
    try:
        yield
    finally:
        lock.release()


class FileTransaction:
    """Files written together: each complete, and all of them or none.

    Each file is written under a temporary name in its destination's folder. Leaving the
    ``with`` block without an error renames them all into place while holding
    :func:`locked` on ``main``; an error deletes them and leaves the destinations as they
    were. Readers that take the same lock see either all the old files or all the new ones.

    Parameters
    ----------
    main : str or os.PathLike
        The file the others belong to; its lock guards the set.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> with FileTransaction(folder / "model.bin") as files:
    ...     files.write_text(folder / "model.bin", "weights")
    ...     files.write_text(folder / "model.json", "{}")
    >>> sorted(path.name for path in folder.iterdir() if path.suffix != ".lock")
    ['model.bin', 'model.json']
    """

    def __init__(self, main):
        self.main = Path(main)
        self._staged = {}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        try:
            if exc_type is None:
                with locked(self.main):
                    for path, temporary in self._staged.items():
                        os.replace(temporary, path)
        finally:
            for temporary in self._staged.values():
                Path(temporary).unlink(missing_ok=True)
            self._staged = {}

    @contextlib.contextmanager
    def new_file(self, path, suffix=".tmp"):
        """A temporary file that replaces ``path`` when the transaction commits.

        For writers that need a file name (Keras saves to a path).

        Parameters
        ----------
        path : str or os.PathLike
            The destination.
        suffix : str, default=".tmp"
            End of the temporary name (Keras wants ``.keras``).

        Yields
        ------
        str
            The temporary file's path, to write.
        """
        path = Path(path)
        if path in self._staged:
            raise ValueError(f"'{path}' is written twice in one transaction.")
        with temporary_file(path, suffix=suffix) as temporary:
            yield temporary
        self._staged[path] = temporary

    def write_text(self, path, text):
        """Write ``text`` (UTF-8) to replace ``path`` when the transaction commits."""
        with self.new_file(path) as temporary:
            with open(temporary, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)


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
