"""The result cache: each parse job's outcome (a Terraform module group, a template, a plan, a
cloud assembly) kept in the user cache directory and used again while nothing the job read has
changed.

- The key is a digest of what decides the outcome before any file is read: sqsguard's code (its
  version and its files by content: a wheel's RECORD, or a checkout's sources; python-hcl2's,
  lark's and PyYAML's sources), the working directory (display paths are relative to it), the
  job's targets, the repositories they are in, and the options.
- The entry holds every read the parse made (`inputs.py`: file contents by digest, directory
  listings, whether paths exist) and the outcome as plain data (`plain_data.py`), as JSON:
  marshal would load faster, but crafted marshal data can make it allocate gigabytes from a few
  bytes (a list's declared length is allocated before its items are read), and JSON cannot.
  It is used when asking each recorded question again gets the recorded answer: a changed
  `.tf`, tfvars file, `file()` target, called module or template, a file added to a module
  directory, all make it a miss. A miss is parsed again and its entry rewritten.
- Nothing in the directory is trusted (it may be restored from CI storage): an entry that is
  truncated, of another format, for another key, or hostile is a miss; decoding calls no
  constructor and knows only the model's classes. Entries are written atomically (parallel
  pre-commit runs), and the directory is kept under its size limit by removing the entries
  used longest ago.
"""

from __future__ import annotations

import marshal
import os
import re
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from .dataclass_methods import dataclass
from . import __version__

FORMAT = 2
MAGIC = "sqsguard-result"
DEFAULT_MAX_MB = 256
MAX_ENTRY_BYTES = 256 * 1024 * 1024
# What checking one entry may cost: an entry asks each question once, and a hostile one must
# not make a scan read for ever (a real entry reads its module or template, its `file()`
# targets and the modules it calls: far less).
MAX_READS = 200_000
MAX_READ_BYTES = 1024 * 1024 * 1024
_READ_KINDS = {"read", "list", "kind"}


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    written: int = 0
    uncacheable: int = 0
    unwritable: int = 0  # entries the directory did not take (not writable, full)
    reports_reused: int = 0  # whole reports read back (report_entries.py)
    reports_written: int = 0


def _digest(data: bytes) -> str:
    from .inputs import blake2b

    return blake2b(data, digest_size=20).hexdigest()


_fingerprint: str | None = None


def code_fingerprint() -> str:
    """sqsguard's version and its code by content (an edited checkout is other code; the same
    release installed again, in another venv or CI run, is the same code), with the versions of
    the parsing libraries it relies on, read from their own sources."""
    global _fingerprint
    if _fingerprint is None:
        parts: list = [__version__, sys.version, FORMAT]
        here = Path(__file__).parent
        record = here.parent / ("sqsguard-%s.dist-info" % __version__) / "RECORD"
        if record.is_file():  # an installed wheel: its RECORD holds the digest of every file
            parts.append(_package_files(record))
        else:  # a checkout (an editable install): the sources themselves, and the rule catalog
            from .catalog import catalog_dir

            for top in (here, catalog_dir()):
                for directory, subdirs, files in os.walk(top):
                    subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
                    for name in sorted(files):
                        if name.endswith((".py", ".json", ".lark", ".md", ".yaml")):
                            parts.append(_content(os.path.join(directory, name), top))
        import importlib.util

        for library, files in (("hcl2", ("version.py", "hcl2.lark", "__init__.py")), ("lark", ("__init__.py",)), ("yaml", ("__init__.py",))):
            try:
                spec = importlib.util.find_spec(library)
            except (ImportError, ValueError):
                spec = None
            origin = getattr(spec, "origin", None)
            base = Path(origin).parent if origin else None
            parts.append((library, tuple(_content(str(base / f), base) for f in files) if base else None))
        _fingerprint = _digest(marshal.dumps(tuple(parts)))
    return _fingerprint


def _package_files(record: Path) -> tuple:
    """The package's own lines of a wheel's RECORD (path and digest): not the console script's,
    whose first line names the venv it was installed in."""
    from .inputs import read_regular

    try:
        lines = read_regular(str(record)).decode("utf-8", "replace").splitlines()
    except OSError:
        return ("RECORD", None)
    return tuple(sorted(line for line in lines if line.startswith("sqsguard/") and ",sha256=" in line))


def _content(path: str, base: Path) -> tuple:
    from .inputs import read_regular

    try:
        data = read_regular(path)
    except OSError:
        return (os.path.relpath(path, base), None)
    return (os.path.relpath(path, base), _digest(data))


def _canonical(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(_canonical(v) for v in value))
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    return repr(value)


def job_key(job: tuple[str, list], options: Any) -> str:
    from .repository import repository_root

    kind, targets = job
    # Whether a target was named matters to Terraform only (a named directory is a root module):
    # a template read by `scan .` and by a pre-commit run naming it is one entry.
    described = tuple((t.kind, t.path, t.display, t.explicit if kind == "terraform" else None, repository_root(t.path))
                      for t in targets)
    settings = tuple((f.name, _canonical(getattr(options, f.name))) for f in fields(options))
    return _digest(marshal.dumps((MAGIC, code_fingerprint(), os.getcwd(), kind, described, settings)))


class ResultCache:
    def __init__(self, directory: str | Path, max_mb: float = DEFAULT_MAX_MB):
        self.directory = Path(directory) / ("results-v%d" % FORMAT)
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.stats = Stats()

    def _path(self, key: str) -> Path:
        return self.directory / key

    def lookup(self, key: str, magic: str = MAGIC) -> Entry | None:
        """The entry stored for this key when every read it made still gives its answer; its body
        is not decoded yet (a scan whose report is reused never decodes it)."""
        path = self._path(key)
        from .inputs import read_regular

        try:
            data = read_regular(str(path), MAX_ENTRY_BYTES)
        except OSError:
            return None
        entry = _valid_entry(data, magic, key)
        if entry is not None:
            try:
                os.utime(path)  # used now: pruning removes the entries used longest ago
            except OSError:
                pass
        return entry

    def outcome(self, entry: Entry):
        """A job entry's outcome, or None (counted as a miss) when its body is not a sound one."""
        outcome = _body_outcome(entry.body)
        if outcome is None:
            self.stats.hits -= 1
            self.stats.misses += 1
        return outcome

    def load(self, key: str):
        """The stored outcome for this key, when every read it made still gives its answer."""
        entry = self.lookup(key)
        if entry is None:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return self.outcome(entry)

    def store(self, key: str, outcome: Any, reads: list) -> str | None:
        """Write the job's entry; its state (the digest of what was written), or None."""
        from .plain_data import Uncacheable, encode

        try:
            table, root = encode(outcome)
        except (Uncacheable, RecursionError):
            self.stats.uncacheable += 1
            return None
        return self.write(key, MAGIC, reads, [table, root])

    def write(self, key: str, magic: str, reads: list, body: Any) -> str | None:
        """An entry: its header (what it is, its key, the reads that decide whether it still
        holds) on the first line, its body on the second; the state written, or None."""
        from .cache_paths import write_atomically

        import json

        try:
            header = json.dumps([magic, FORMAT, key, _unique(reads)], ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            # json.dumps writes no raw newline; a name that is not UTF-8 (a surrogate escape)
            # cannot be written, so its entry is not kept
            data = (header + "\n" + content).encode("utf-8")
        except (RecursionError, ValueError, TypeError):
            self.stats.uncacheable += 1
            return None
        if len(data) > MAX_ENTRY_BYTES:
            self.stats.uncacheable += 1
            return None
        path = self._path(key)
        if path.is_dir() and not path.is_symlink():  # never an entry: something in its place
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        if write_atomically(path, data):
            if magic == MAGIC:
                self.stats.written += 1
            else:
                self.stats.reports_written += 1
            return _digest(data)
        self.stats.unwritable += 1
        return None

    def prune(self) -> None:
        """Remove the entries used longest ago while the directory is above its limit (to 80%)."""
        try:
            with os.scandir(self.directory) as scan:
                entries = []
                for entry in scan:
                    if entry.name.startswith("."):  # another run's entry being written
                        continue
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    entries.append((info.st_mtime_ns, info.st_size, entry.path))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(entries):
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            if total <= self.max_bytes * 0.8:
                break


def _unique(reads: list) -> list:
    seen: set = set()
    out = []
    for read in reads:
        if read not in seen:
            seen.add(read)
            out.append(read)
    return out


@dataclass
class Entry:
    """An entry whose reads all still hold: its state (the digest of its bytes, which a reused
    report's key is made of) and its body, still JSON text."""

    state: str
    body: bytes


def _valid_entry(data: bytes, magic: str, key: str) -> Entry | None:
    """The entry in these bytes, or None for anything that is not a sound entry of this kind and
    key whose reads all still hold."""
    from . import inputs
    from .plain_data import BadEntry, refuse_objects

    import json

    if len(data) > MAX_ENTRY_BYTES:
        return None
    header, _, body = data.partition(b"\n")
    try:
        head = json.loads(header, object_pairs_hook=refuse_objects)
    except (ValueError, RecursionError, BadEntry):
        return None
    if type(head) is not list or len(head) != 4 or head[:3] != [magic, FORMAT, key]:
        return None
    reads = head[3]
    if type(reads) is not list or len(reads) > MAX_READS or not all(_sound_read(r) for r in reads):
        return None
    reads = [(w, p, a, tuple(answer) if w == "list" and answer is not None else answer) for w, p, a, answer in reads]
    if len({(w, p, a) for w, p, a, _ in reads}) != len(reads):  # written once each: a question twice is not ours
        return None
    if not inputs.unchanged(reads, MAX_READ_BYTES):
        return None
    return Entry(_digest(data), body)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _body(body: bytes) -> Any:
    """An entry's body as JSON data (no JSON object in it), or None. A `\\udXXX` escape is never
    written (text is written as UTF-8, and a lone surrogate cannot be): a body with one is not
    an entry this code wrote, and its text could not be printed."""
    from .plain_data import BadEntry, refuse_objects

    import json

    if _SURROGATE_ESCAPE.search(body):
        return None
    try:
        return json.loads(body, object_pairs_hook=refuse_objects)
    except (ValueError, RecursionError, BadEntry):
        return None


def _body_outcome(body: bytes):
    from .plain_data import BadEntry, decode

    content = _body(body)
    if type(content) is not list or len(content) != 2:
        return None
    try:
        outcome = decode(content[0], content[1])
    except (BadEntry, RecursionError):
        return None
    from .parsers import ParseOutcome

    return outcome if type(outcome) is ParseOutcome and _sound(outcome) else None


def _entry_outcome(data: bytes, key: str):
    """The outcome in a job entry's bytes, or None (the fuzz target: both halves of reading)."""
    entry = _valid_entry(data, MAGIC, key)
    return _body_outcome(entry.body) if entry is not None else None


def _sound_read(read: Any) -> bool:
    if type(read) is not list or len(read) != 4:
        return False
    what, path, argument, answer = read
    if what not in _READ_KINDS or type(path) is not str:
        return False
    if what == "read":
        return (argument is None or type(argument) is int) and (answer is None or type(answer) is str)
    if what == "list":
        return argument is None and (answer is None or (type(answer) is list and all(type(n) is str for n in answer)))
    return argument is None and answer in (None, "file", "dir", "other")


def _sound(outcome: Any) -> bool:
    """The shape the rules rely on: the model's lists of its resources, errors, a count."""
    from .findings import ScanError, Skipped
    from .report_entries import sound_record
    from .model import Model, Resource

    model = outcome.__dict__.get("model")
    if type(model) is not Model or type(outcome.__dict__.get("files_scanned")) is not int:
        return False
    errors = outcome.__dict__.get("errors")
    if type(errors) is not list or not all(sound_record(e, ScanError) for e in errors):
        return False
    skipped = outcome.__dict__.get("skipped")
    if type(skipped) is not list or not all(sound_record(s, Skipped) for s in skipped):
        return False
    for f in fields(Model):
        value = model.__dict__.get(f.name)
        if f.name in ("unit_accounts", "resource_accounts", "derived"):
            if type(value) is not dict:
                return False
        elif type(value) is not list or not all(isinstance(r, Resource) and _sound_resource(r) for r in value):
            return False
    return True


def _sound_resource(resource: Any) -> bool:
    from .model import Format, Location

    state = resource.__dict__
    if {f.name for f in fields(resource)} != set(state):
        return False
    where = state["location"]
    return (
        type(state["address"]) is str and type(state["unit"]) is str and type(state["format"]) is Format
        and type(where) is Location and type(where.__dict__.get("file")) is str
        and type(where.__dict__.get("line")) is int and type(where.__dict__.get("end_line")) is int
    )
