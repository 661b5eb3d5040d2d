"""Where a file sits in its repository: the nearest ancestor with `.git`, else the scanned path
that holds it. Baselines, fingerprints and SARIF use these paths, so they do not depend on the
working directory or on the path a scan was started from."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4096)
def repository_root(path: str) -> str | None:
    """The nearest directory at or above `path` that holds `.git` (a directory, or a file for
    worktrees and submodules), or None."""
    from . import inputs  # recorded: a kept report's paths depend on where `.git` is

    current = os.path.abspath(path)
    if not inputs.isdir(current):
        current = os.path.dirname(current)
    while True:
        if inputs.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class RepoPaths:
    """Repository-relative posix paths for the files of one scan. `scan_paths` are the paths
    given on the command line: a file outside any repository is relative to the scanned
    directory that holds it (a scanned file: its directory)."""

    def __init__(self, scan_paths: list[str]):
        from . import inputs

        roots = []
        for raw in scan_paths:
            absolute = os.path.abspath(raw)
            roots.append(absolute if inputs.isdir(absolute) else os.path.dirname(absolute))
        # The deepest scanned directory wins, so nested scan paths give the shortest path.
        self.scan_roots = sorted(set(roots), key=len, reverse=True)
        self._cache: dict[str, str] = {}

    def root_of(self, path: str) -> str:
        absolute = os.path.abspath(path)
        found = repository_root(absolute)
        if found is not None:
            return found
        for root in self.scan_roots:
            if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep):
                return root
        return os.path.dirname(absolute)

    def relative(self, path: str) -> str:
        """`path` (absolute, or relative to the working directory) relative to its root."""
        if not path:
            return ""
        cached = self._cache.get(path)
        if cached is None:
            absolute = os.path.abspath(path)
            cached = Path(os.path.relpath(absolute, self.root_of(absolute))).as_posix()
            self._cache[path] = cached
        return cached


def remote_label(path: str) -> str | None:
    """The repository a path is in, named by its `origin` remote: the remote's path without
    `.git` (`acme/orders`, GitLab's `group/subgroup/project`), read from the git config file,
    never by running git; a remote on the local disk, or none: the repository directory's
    name. None outside a repository."""
    root = repository_root(path)
    return _label_of_root(root) if root is not None else None


@lru_cache(maxsize=256)
def _label_of_root(root: str) -> str | None:
    import configparser

    git = os.path.join(root, ".git")
    if os.path.isfile(git):  # a worktree or submodule: "gitdir: <path>"
        try:
            with open(git, encoding="utf-8") as handle:
                pointer = handle.read().strip()
        except OSError:
            pointer = ""
        if pointer.startswith("gitdir:"):
            git = os.path.join(root, pointer[7:].strip())
            common = os.path.join(git, "commondir")
            if os.path.isfile(common):
                with open(common, encoding="utf-8") as handle:
                    git = os.path.join(git, handle.read().strip())
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(os.path.join(git, "config"), encoding="utf-8")
        url = parser.get('remote "origin"', "url", fallback="")
    except (configparser.Error, OSError, UnicodeDecodeError):
        url = ""
    name = remote_path(url.strip())
    return name or os.path.basename(root.rstrip(os.sep)) or None


def remote_path(url: str) -> str | None:
    """`git@github.com:acme/orders.git`, `https://host/group/sub/app` -> the path on the host;
    None for a remote on the local disk."""
    if "://" in url:
        scheme, _, rest = url.partition("://")
        if scheme == "file":
            return None
        path = rest.partition("/")[2]
    elif ":" in url and not url.startswith(("/", ".")) and "/" not in url.split(":", 1)[0]:
        path = url.split(":", 1)[1]  # scp-like: [user@]host:path
    else:
        return None
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return path or None
