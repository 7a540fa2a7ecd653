"""Tests for sktemporal._atomic: files never seen half-written, sets never seen mixed."""

import subprocess
import sys
import time

import pytest

from sktemporal._atomic import FileTransaction, locked, write_directory_atomic


def _files(folder):
    """The files in ``folder`` and their text; temporaries included, the lock file not."""
    return {
        path.name: path.read_text()
        for path in folder.iterdir()
        if path.is_file() and not path.name.endswith(".lock")
    }


def test_a_transaction_writes_all_its_files_at_once(tmp_path):
    main, other = tmp_path / "model.bin", tmp_path / "model.json"

    with FileTransaction(main) as files:
        files.write_text(main, "weights")
        files.write_text(other, "{}")
        assert not main.exists() and not other.exists()  # nothing in place before the commit

    assert _files(tmp_path) == {"model.bin": "weights", "model.json": "{}"}


def test_a_failed_transaction_leaves_the_old_files_and_no_temporary(tmp_path):
    main, other = tmp_path / "model.bin", tmp_path / "model.json"
    main.write_text("old weights")
    other.write_text("old")

    with pytest.raises(RuntimeError, match="the writer failed"):
        with FileTransaction(main) as files:
            files.write_text(main, "new weights")
            with files.new_file(other) as temporary:
                with open(temporary, "w") as stream:
                    stream.write("half")
                raise RuntimeError("the writer failed")

    assert _files(tmp_path) == {"model.bin": "old weights", "model.json": "old"}


def test_a_file_written_twice_in_one_transaction_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="written twice"):
        with FileTransaction(tmp_path / "a") as files:
            files.write_text(tmp_path / "a", "1")
            files.write_text(tmp_path / "a", "2")
    assert not (tmp_path / "a").exists()


_WRITER = """
import sys
from sktemporal._atomic import FileTransaction
folder, text = sys.argv[1], sys.argv[2]
with FileTransaction(f"{folder}/model.bin") as files:
    files.write_text(f"{folder}/model.bin", text)
    files.write_text(f"{folder}/model.json", text)
    print("staged", flush=True)
"""


def test_a_writer_waits_for_the_lock_that_readers_hold(tmp_path):
    main = tmp_path / "model.bin"
    with FileTransaction(main) as files:
        files.write_text(main, "A")
        files.write_text(tmp_path / "model.json", "A")

    with locked(main):  # a reader of the set, in this process
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path), "B"], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline() == "staged\n"
        time.sleep(0.5)
        # The writer is ready to commit, but the reader still sees the old, whole set.
        assert writer.poll() is None
        assert _files(tmp_path)["model.bin"] == _files(tmp_path)["model.json"] == "A"
    assert writer.wait(timeout=60) == 0
    assert _files(tmp_path)["model.bin"] == _files(tmp_path)["model.json"] == "B"


def test_write_directory_atomic_replaces_files_and_keeps_others(tmp_path):
    folder = tmp_path / "report"
    write_directory_atomic(folder, {"index.html": "one"})
    (folder / "notes.txt").write_text("mine")
    write_directory_atomic(folder, {"index.html": "two"})

    assert _files(folder) == {"index.html": "two", "notes.txt": "mine"}
    with pytest.raises(NotADirectoryError):
        write_directory_atomic(folder / "index.html", {"a": "b"})


def test_a_reader_of_a_missing_folder_creates_nothing(tmp_path):
    with locked(tmp_path / "no" / "such.keras"):
        pass
    assert list(tmp_path.iterdir()) == []
