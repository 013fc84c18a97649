"""`aslkit package`: a function's deployment zip, built without Docker, the same way for LocalStack and CDK.

The zip holds the `tasks/` package of the function's process (and `tasks/__init__.py`), with fixed timestamps
and sorted entries so that the same sources give the same bytes (and the same CDK asset hash).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from aslkit.resources import ContainerJob, Function

_EPOCH = (1980, 1, 1, 0, 0, 0)


def function_sources(root: Path, function: Function | ContainerJob) -> list[Path]:
    """The files of the handler's (a job's module's) process package (`tasks/<process>/`) plus the package marker
    above it."""
    dotted = function.handler if isinstance(function, Function) else function.module
    parts = dotted.split(".")
    process_dir = root.joinpath(*parts[:2])  # tasks/<process>
    if not process_dir.is_dir():
        raise FileNotFoundError(f"{function.kind} {function.name!r}: {process_dir} does not exist ({dotted})")
    files = [root / parts[0] / "__init__.py"]
    files += [
        path
        for path in sorted(process_dir.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    ]
    return [f for f in files if f.exists()]


def build_zip(root: Path, function: Function) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in function_sources(root, function):
            info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def requirements_file(root: Path) -> Path | None:
    """The tasks package's `requirements.txt` (the Lambda dependencies layer), if the project has one."""
    from aslkit.project import Project

    path = Project.load(root).tasks_dir / "requirements.txt"
    return path if path.is_file() else None


def requirements_hash(root: Path) -> str:
    import hashlib

    return hashlib.sha256(_requirements(root).read_bytes()).hexdigest()[:16]


def _requirements(root: Path) -> Path:
    path = requirements_file(root)
    if path is None:
        from aslkit.errors import BuildError
        from aslkit.project import Project

        raise BuildError(f"no {Project.load(root).tasks_dir / 'requirements.txt'}: the dependencies layer needs one",
                         hint="list the Lambda dependencies there (an empty file for none)")  # fmt: skip
    return path


#: Lambda's python3.13 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 and manylinux_2_28 wheels work.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")


def build_layer(root: Path, out: Path, *, python_version: str = "3.13", platforms: tuple[str, ...] = PLATFORMS) -> Path:
    """The shared dependencies layer (`python/` inside), from wheels for the Lambda platform; cached by hash."""
    import subprocess
    import sys

    layer = out / f"layer-{requirements_hash(root)}"
    marker = layer / ".complete"
    if marker.exists():
        return layer
    target = layer / "python"
    target.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         *(arg for platform in platforms for arg in ("--platform", platform)),
         "--implementation", "cp", "--python-version", python_version,
         "--only-binary=:all:", "--target", str(target), "-r", str(_requirements(root))],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if completed.returncode != 0:
        from aslkit.errors import BuildError

        last = (completed.stderr.strip().splitlines() or ["pip failed"])[-1]
        hint = "every requirement needs a wheel for the Lambda platform (manylinux, CPython)"
        raise BuildError(f"pip could not build the dependencies layer: {last}", hint=hint)
    marker.write_text("")
    return layer


def build_function_dir(root: Path, function: Function | ContainerJob, out: Path) -> Path:
    """A folder with the function's sources (the same files as its zip), for CDK's `Code.from_asset`."""
    import shutil

    target = out / f"{function.kind}s" / function.name  # functions/<name>, jobs/<name>
    if target.exists():
        shutil.rmtree(target)
    for source in function_sources(root, function):
        destination = target / source.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    return target


def build_container_dir(root: Path, job: ContainerJob, out: Path) -> Path:
    """The build context of a container job's image: the project's Dockerfile (as `Dockerfile`), the job's sources
    (as its zip would hold them) and the tasks' requirements.txt. Small, and the same bytes for the same sources."""
    import shutil

    dockerfile = root / job.dockerfile
    if not dockerfile.is_file():
        from aslkit.errors import BuildError

        raise BuildError(f"job {job.name!r}: no Dockerfile at {dockerfile}",
                         hint="write one that installs tasks/requirements.txt and boto3 on Python 3.13 and copies "
                         "tasks/ into its working directory, or point the job's dockerfile at yours")  # fmt: skip
    target = build_function_dir(root, job, out)
    shutil.copy2(dockerfile, target / "Dockerfile")
    requirements = requirements_file(root)
    if requirements is not None:
        shutil.copy2(requirements, target / requirements.relative_to(root))
    return target
