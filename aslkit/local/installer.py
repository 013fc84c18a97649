"""`aslkit local install`: LocalStack's own virtual environment, built once per user in a cache.

LocalStack 2026.3.0 (the last open-source release) pins packages that clash with a project's, so it gets a venv of
its own, with aslkit's plugin distribution (shipped inside aslkit's wheel, `localstack-plugin/`) installed into it.
The venv's folder name carries a fingerprint of the pins and the plugin's sources: a new aslkit builds a new one,
and an unchanged one is reused at once. Handlers still run under the user's interpreter (the launcher passes it).

The cache is `$ASLKIT_CACHE`, else `$XDG_CACHE_HOME/aslkit`, else `~/.cache/aslkit`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from aslkit.errors import LocalStackError

LOCALSTACK_VERSION = "2026.3.0"
PLUGIN_DIR = Path(__file__).resolve().parent / "localstack-plugin"
CONSTRAINTS = PLUGIN_DIR / "constraints.txt"
REQUIREMENTS = PLUGIN_DIR / "requirements-slim.in"
#: aslkit modules the plugin serves too, copied into its package at install (they import only the standard library)
SHARED = {"omics_standin.py": Path(__file__).resolve().parents[1] / "standins" / "omics.py"}
_SKIP = {"__pycache__", "build", "dist"}


def cache_home() -> Path:
    explicit = os.environ.get("ASLKIT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aslkit"


def _sources() -> Iterator[Path]:
    for path in sorted(PLUGIN_DIR.rglob("*")):
        if (
            path.is_file()
            and not _SKIP.intersection(path.parts)
            and not any(p.endswith(".egg-info") for p in path.parts)
        ):
            yield path


def fingerprint(python: str = sys.executable) -> str:
    """A hash of the pins, the plugin's sources and the interpreter's version."""
    digest = hashlib.sha256(_python_version(python).encode())
    for path in _sources():
        digest.update(str(path.relative_to(PLUGIN_DIR)).encode() + b"\0" + path.read_bytes())
    for name, path in sorted(SHARED.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def venv_dir(python: str = sys.executable) -> Path:
    return cache_home() / "localstack" / f"{LOCALSTACK_VERSION}-py{_python_version(python)}-{fingerprint(python)}"


def installed_python() -> Path | None:
    """LocalStack's interpreter, if `aslkit local install` has built the current venv."""
    python = venv_dir() / "bin" / "python"
    return python if (venv_dir() / ".complete").exists() and python.exists() else None


def install(progress: Callable[[str], None] = print, *, python: str = sys.executable) -> Path:
    """Build LocalStack's venv if the current one is not there; return its interpreter. Safe to run concurrently."""
    _check_python(python)
    target = venv_dir(python)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / ".install.lock"):
        if (target / ".complete").exists():
            progress(f"LocalStack {LOCALSTACK_VERSION} is installed in {target}")
            return target / "bin" / "python"
        started = time.monotonic()
        progress(f"installing LocalStack {LOCALSTACK_VERSION} with aslkit's plugins into {target} "
                 "(once; about a minute)")  # fmt: skip
        shutil.rmtree(target, ignore_errors=True)  # a half-built venv of an interrupted install
        try:
            progress("  [1/3] creating the virtual environment")
            _run([python, "-m", "venv", str(target)], "create LocalStack's venv")
            venv_python = str(target / "bin" / "python")
            with tempfile.TemporaryDirectory(prefix="aslkit-plugin-") as scratch:
                plugin = Path(scratch) / "plugin"  # pip builds in the source tree: never in aslkit's installed copy
                shutil.copytree(PLUGIN_DIR, plugin, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
                for name, path in SHARED.items():
                    shutil.copyfile(path, plugin / "aslkit_localstack" / name)
                progress("  [2/3] installing localstack-core and its pinned dependencies from the package index")
                _run([venv_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      "-c", str(CONSTRAINTS), "-r", str(REQUIREMENTS), str(plugin)], "install LocalStack")  # fmt: skip
            progress("  [3/3] checking that LocalStack imports")
            _run([venv_python, "-c", "import localstack.runtime.main, aslkit_localstack"], "import LocalStack")
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / ".complete").write_text(f"{LOCALSTACK_VERSION}\n")
        _prune(target)
        progress(f"done in {time.monotonic() - started:.0f} s")
        return target / "bin" / "python"


def _prune(current: Path) -> None:
    """Remove older venvs of this interpreter version (another fingerprint), keeping the cache small."""
    prefix = current.name.rsplit("-", 1)[0] + "-"
    for other in current.parent.glob(prefix + "*"):
        if other != current and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def _check_python(python: str) -> None:
    version = _python_version(python)
    major, minor = (int(part) for part in version.split("."))
    if (major, minor) < (3, 12):
        raise LocalStackError(f"LocalStack {LOCALSTACK_VERSION} needs Python >= 3.12; {python} is {version}",
                              hint="run aslkit from a Python 3.12 or 3.13 environment")  # fmt: skip


def _python_version(python: str) -> str:
    if python == sys.executable:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    completed = subprocess.run([python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
                               capture_output=True, text=True, check=True)  # fmt: skip
    return completed.stdout.strip()


def _run(command: list[str], what: str) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        last = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-8:])
        raise LocalStackError(
            f"could not {what} (exit {completed.returncode}):\n{last}",
            hint="check that the package index is reachable, then run `aslkit local install` again",
        )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
