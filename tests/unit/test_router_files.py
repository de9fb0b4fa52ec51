"""symroute_router.files: atomic writes that change nothing when nothing differs."""

import os
import stat

from symroute_router import files


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_read_text_of_an_absent_file_is_none(tmp_path):
    assert files.read_text(str(tmp_path / "absent")) is None


def test_write_creates_parent_directories_0755_and_the_file_with_its_mode(tmp_path):
    path = tmp_path / "etc" / "symroute" / "routing.json"
    assert files.write_atomically(str(path), "{}\n", mode=0o600) is True
    assert path.read_text() == "{}\n" and _mode(path) == 0o600
    assert _mode(tmp_path / "etc") == 0o755 and _mode(tmp_path / "etc" / "symroute") == 0o755


def test_equal_content_and_mode_write_nothing(tmp_path):
    path = tmp_path / "f"
    files.write_atomically(str(path), "a\n")
    before = os.stat(path)
    assert files.write_atomically(str(path), "a\n") is False
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_new_content_replaces_the_file_by_rename_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "f"
    files.write_atomically(str(path), "a\n")
    inode = os.stat(path).st_ino
    assert files.write_atomically(str(path), "b\n") is True
    assert path.read_text() == "b\n" and os.stat(path).st_ino != inode
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_a_mode_change_alone_is_a_change(tmp_path):
    path = tmp_path / "f"
    files.write_atomically(str(path), "a\n", mode=0o644)
    assert files.write_atomically(str(path), "a\n", mode=0o600) is True
    assert _mode(path) == 0o600


def test_remove_says_whether_there_was_a_file(tmp_path):
    path = tmp_path / "f"
    path.write_text("x")
    assert files.remove(str(path)) is True
    assert files.remove(str(path)) is False


def test_line_endings_are_kept_as_they_are(tmp_path):
    path = tmp_path / "f"
    assert files.write_atomically(str(path), "a\r\nb\n") is True
    assert path.read_bytes() == b"a\r\nb\n" and files.read_text(str(path)) == "a\r\nb\n"
    assert files.write_atomically(str(path), "a\r\nb\n") is False
