import atexit
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Every sqsguard the suite runs (in-process and in subprocesses) shares one result cache of its
# own, never the user's: most fixtures are scanned many times, so the warm path is exercised
# throughout, and a report that differed with the cache would fail the tests that check it.
os.environ["SQSGUARD_CACHE_DIR"] = tempfile.mkdtemp(prefix="sqsguard-test-cache-")
atexit.register(shutil.rmtree, os.environ["SQSGUARD_CACHE_DIR"], ignore_errors=True)
# The machine key (machine_key.py) lives outside the cache directory, as it does for users.
_key_dir = tempfile.mkdtemp(prefix="sqsguard-test-key-")
os.environ["SQSGUARD_KEY_FILE"] = os.path.join(_key_dir, "machine-key")
atexit.register(shutil.rmtree, _key_dir, ignore_errors=True)


def pytest_addoption(parser):
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="Rewrite the expected-findings snapshots beside the fixtures (review the diff!).",
    )


@pytest.fixture
def update_snapshots(request):
    return request.config.getoption("--update-snapshots")


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """sqsguard built as a wheel and installed alone in a fresh venv (its dependencies come from
    the test environment): (work folder, bin folder)."""
    work = tmp_path_factory.mktemp("wheel")
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    wheels = list((work / "dist").glob("sqsguard-*.whl"))
    assert len(wheels) == 1
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    python = bindir / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheels[0])],
        check=True, capture_output=True, text=True, timeout=300,
    )
    # Dependencies come from the test environment; sqsguard itself only from the wheel
    # (a plain path entry: the test environment's own .pth files are not processed).
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return work, bindir


