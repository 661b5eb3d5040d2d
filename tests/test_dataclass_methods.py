"""sqsguard's dataclasses take their methods' code from the wheel's table (dataclass_methods.py):
the classes are the ones `dataclasses` makes, nothing is compiled in an installed sqsguard, and a
text the table lacks is compiled as usual."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import FrozenInstanceError, field, fields, replace
from pathlib import Path

import pytest

from sqsguard import dataclass_methods

ROOT = Path(__file__).resolve().parents[1]

TOY = '''
from dataclasses import field
from sqsguard.dataclass_methods import dataclass


@dataclass(frozen=True)
class Point:
    """A frozen class with a default and a factory."""
    x: int
    y: int = 0
    tags: tuple = field(default_factory=tuple)


@dataclass
class Box:
    name: str
    size: int = field(default=1, compare=False)
    seen: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.seen.append(self.name)
'''


def _toy(tmp_path, name):
    """The TOY classes imported as module `name` from tmp_path."""
    (tmp_path / ("%s.py" % name)).write_text(TOY)
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib

        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


@pytest.fixture
def table(tmp_path, monkeypatch):
    """The table written for TOY, as the build hook writes it, loaded as the package's."""
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "toy_recorded.py").write_text(TOY)
    try:
        texts = dataclass_methods.record_texts(["toy_recorded"], package="toy_recorded")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("toy_recorded", None)
    namespace: dict = {}
    source = dataclass_methods.write_module(texts, "test")
    exec(compile(source, str(tmp_path / "_methods.py"), "exec", dont_inherit=True), namespace)  # as a module of its own
    monkeypatch.setattr(dataclass_methods, "COMPILED", namespace["COMPILED"])
    monkeypatch.setattr(dataclass_methods, "served", [0, 0])
    return texts


def _same_code(a, b):
    for name in ("co_code", "co_consts", "co_names", "co_varnames", "co_freevars", "co_argcount", "co_kwonlyargcount"):
        assert getattr(a, name) == getattr(b, name), name


def test_recording_sees_every_method_text_of_the_classes(table):
    # Point: __init__, __repr__, __eq__, __setattr__, __delattr__, __hash__; Box: __init__, __repr__, __eq__
    assert len(table) == 9
    assert all(text.startswith("def __create_fn__(") for text in table)


def test_classes_served_from_the_table_are_the_classes_dataclasses_makes(table, tmp_path):
    served = _toy(tmp_path, "toy_served")
    assert dataclass_methods.served == [9, 0]  # nothing compiled
    assert "exec" not in vars(dataclasses)  # the shadow is gone once the classes are made
    dataclass_methods.COMPILED = {}
    plain = _toy(tmp_path, "toy_plain")
    for name in ("Point", "Box"):
        a, b = getattr(served, name), getattr(plain, name)
        for method in ("__init__", "__repr__", "__eq__"):
            _same_code(vars(a)[method].__code__, vars(b)[method].__code__)
            assert vars(a)[method].__qualname__ == vars(b)[method].__qualname__ == "%s.%s" % (name, method)
            made = vars(a)[method]
            assert getattr(made, "__wrapped__", made).__globals__ is vars(served)  # the class's module, as dataclasses gives
        assert [(f.name, f.compare, f.repr) for f in fields(a)] == [(f.name, f.compare, f.repr) for f in fields(b)]
        assert a.__doc__.replace("toy_served", "") == b.__doc__.replace("toy_plain", "")
    point = served.Point(1)
    assert point == served.Point(1, 0, ()) and hash(point) == hash(served.Point(1))
    assert repr(point) == "Point(x=1, y=0, tags=())"
    with pytest.raises(FrozenInstanceError):
        point.x = 2
    with pytest.raises(FrozenInstanceError):
        del point.y
    assert replace(point, y=5) == served.Point(1, 5)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
        served.Point()
    box = served.Box("b", 7)
    assert box.seen == ["b"] and box == served.Box("b", 9) and repr(box) == "Box(name='b', size=7)"
    assert served.Box.__hash__ is None  # eq without frozen: unhashable, as dataclasses makes it


def test_a_text_the_table_lacks_is_compiled_as_usual(table, tmp_path):
    dataclass_methods.COMPILED = {text: f for text, f in dataclass_methods.COMPILED.items() if "__repr__" not in text}
    served = _toy(tmp_path, "toy_partial")
    assert dataclass_methods.served == [7, 2]
    assert repr(served.Point(3)) == "Point(x=3, y=0, tags=())" and "exec" not in vars(dataclasses)


def test_the_shadow_is_removed_when_dataclasses_refuses_a_class(table):
    class Broken:
        __annotations__ = {"a": int, "b": int}
        a = 1  # a field without a default after one with a default

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        dataclass_methods.dataclass(Broken)
    assert "exec" not in vars(dataclasses)


def test_without_a_table_the_decorator_is_the_standard_one(monkeypatch):
    monkeypatch.setattr(dataclass_methods, "COMPILED", {})

    @dataclass_methods.dataclass(frozen=True)
    class Plain:
        a: int
        b: list = field(default_factory=list)

    assert Plain(1) == Plain(1, []) and vars(Plain)["__init__"].__code__.co_filename == "<string>"


def test_the_written_module_holds_each_text_verbatim(table):
    source = dataclass_methods.write_module(table, "3.x")
    namespace: dict = {}
    exec(compile(source, "_methods.py", "exec", dont_inherit=True), namespace)
    assert list(namespace["COMPILED"]) == table and "__create_fn__" not in namespace
    assert source.count("\ndef __create_fn__(") == len(table)


def test_every_module_of_the_package_is_listed():
    names = dataclass_methods.package_modules(ROOT / "src" / "sqsguard")
    assert "sqsguard.model" in names and "sqsguard.parsers.terraform.hcl" in names and "sqsguard" in names
    assert "sqsguard.__main__" not in names and "sqsguard._methods" not in names
    plain = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "src" / "sqsguard").rglob("*.py"))
             if "@dataclass\n" in p.read_text() or "@dataclass(" in p.read_text()
             if p.name != "dataclass_methods.py" and "dataclass_methods import dataclass\n" not in p.read_text()]
    assert plain == []  # every dataclass of the package is made by dataclass_methods.dataclass


def test_the_wheel_holds_the_table_and_an_installed_sqsguard_compiles_no_method(installed):
    work, bindir = installed
    (wheel,) = (work / "dist").glob("*.whl")
    source = zipfile.ZipFile(wheel).read("sqsguard/_methods.py").decode()
    assert source.startswith('"""Written by the build hook') and sys.version.split()[0] in source
    code = textwrap.dedent("""
        import importlib, json, pathlib, sqsguard
        from sqsguard import dataclass_methods as d
        skipped = []
        for name in d.package_modules(pathlib.Path(sqsguard.__file__).parent):
            try:
                importlib.import_module(name)
            except ImportError:
                skipped.append(name)
        print(json.dumps([d.served, skipped, sqsguard.__file__]))
    """)
    done = subprocess.run([str(bindir / "python"), "-c", code], cwd=work, capture_output=True, text=True, check=True)
    (served, compiled), skipped, where = json.loads(done.stdout)
    assert str(work) in where
    assert compiled == 0 and served > 300
    assert skipped == ["sqsguard._checkov_plugin.sqsguard_checkov"]  # Checkov is never installed beside sqsguard


def test_without_the_tables_bytecode_and_nowhere_to_write_it_methods_are_compiled_as_usual(installed, tmp_path):
    """Compiling the table's source would cost more than it saves."""
    work, bindir = installed
    code = "import sqsguard.engine, sqsguard.model; from sqsguard import dataclass_methods as d; print([len(d.COMPILED)] + d.served)"
    for env, expected_table in (({"PYTHONPYCACHEPREFIX": str(tmp_path / "none"), "PYTHONDONTWRITEBYTECODE": "1"}, False),
                                ({"PYTHONPYCACHEPREFIX": str(tmp_path / "fresh")}, True)):
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        done = subprocess.run([str(bindir / "python"), "-c", code], cwd=work, capture_output=True, text=True,
                              check=True, env=dict(base, **env))
        table, served, compiled = json.loads(done.stdout)
        if expected_table:  # bytecode can be written: the table is compiled once, and used
            assert table > 300 and served > 100 and compiled == 0, env
        else:  # the standard decorator, as without a table
            assert table == served == compiled == 0, env


BUILD_ONLY = """
import json, sys
from pathlib import Path
ALLOWED = set(sys.stdlib_module_names) | {"sqsguard", "yaml", "_yaml", "hatchling"}
class OnlyTheBuildRequirements:  # what an isolated build environment has (pyproject's build-system)
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in ALLOWED:
            raise ImportError("not in the build environment: " + name)
if sys.argv[2] == "isolated":
    sys.meta_path.insert(0, OnlyTheBuildRequirements())
from sqsguard.dataclass_methods import package_modules, record_texts
print(json.dumps(record_texts(package_modules(Path(sys.argv[1]) / "sqsguard"))))
"""


def test_the_build_records_every_class_with_only_the_build_requirements():
    """pip builds the wheel where only hatchling and pyyaml are installed: a module that imported
    another dependency at the top would be left out of the table, and its classes compiled."""
    runs = {}
    for mode in ("isolated", "everything"):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        done = subprocess.run([sys.executable, "-c", BUILD_ONLY, str(ROOT / "src"), mode], capture_output=True,
                              text=True, check=True, env=env, cwd=str(ROOT))
        runs[mode] = json.loads(done.stdout)
    assert len(runs["everything"]) > 300
    assert sorted(runs["isolated"]) == sorted(runs["everything"])


@pytest.mark.parametrize("table", [
    {"def __create_fn__(): pass": "not a function"},
    {"def __create_fn__(): pass": (lambda outer: (lambda: outer))(1)},  # a closure: FunctionType would refuse it
    {"def __create_fn__(): pass": print},
    ["not", "a", "dict"],
], ids=["a string", "a closure", "a builtin", "a list"])
def test_a_table_that_is_not_the_build_hooks_is_not_used(table, monkeypatch):
    import importlib.machinery
    import types

    fake = types.ModuleType("sqsguard._methods")
    fake.__spec__ = importlib.machinery.ModuleSpec("sqsguard._methods", None, origin="_methods.pyc")
    fake.COMPILED = table
    monkeypatch.setitem(sys.modules, "sqsguard._methods", fake)
    assert dataclass_methods._table() == {}
