"""The per-user secret that signs the lexer's codes (machine_key.py): made once, private, read
back only as it was made, and kept outside the cache directory."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from sqsguard import cache_paths, machine_key


@pytest.fixture
def key_at(tmp_path, monkeypatch):
    def use(path):
        monkeypatch.setenv("SQSGUARD_KEY_FILE", str(path))
        machine_key.machine_key.cache_clear()
        return path
    yield use
    machine_key.machine_key.cache_clear()


def test_the_key_is_made_once_private_and_signs_the_same_way(key_at, tmp_path):
    path = key_at(tmp_path / "config" / "machine-key")
    key = machine_key.machine_key()
    assert key is not None and len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    machine_key.machine_key.cache_clear()
    assert machine_key.machine_key() == key  # read back, not made again
    assert machine_key.signed_by_this_machine(b"data", machine_key.sign(b"data"))
    assert not machine_key.signed_by_this_machine(b"datA", machine_key.sign(b"data"))
    assert not machine_key.signed_by_this_machine(b"data", None)


@pytest.mark.parametrize("kind", ["short", "long", "link", "folder", "under a file"])
def test_a_key_file_that_is_not_one_made_here_is_not_used(kind, key_at, tmp_path):
    path = tmp_path / "machine-key"
    if kind == "short":
        path.write_bytes(b"x" * 31)
    elif kind == "long":
        path.write_bytes(b"x" * 33)
    elif kind == "link":
        (tmp_path / "elsewhere").write_bytes(b"x" * 32)
        path.symlink_to(tmp_path / "elsewhere")
    elif kind == "folder":
        path.mkdir()
    else:
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "machine-key"
    key_at(path)
    assert machine_key.machine_key() is None and machine_key.sign(b"data") is None
    assert not machine_key.signed_by_this_machine(b"data", b"\0" * 32)


def test_the_key_lives_in_the_configuration_directory_not_the_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("SQSGUARD_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert machine_key.key_file() == tmp_path / "cfg" / "sqsguard" / "machine-key"
    assert cache_paths.platform_dir("cache") == tmp_path / "cache" / "sqsguard"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert machine_key.key_file() == tmp_path / "roaming" / "sqsguard" / "machine-key"
    assert cache_paths.platform_dir("cache") == tmp_path / "local" / "sqsguard" / "Cache"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert str(machine_key.key_file()).endswith(os.path.join("Library", "Application Support", "sqsguard", "machine-key"))
