"""`aslkit package`: a function's deployment zip, built without Docker, the same way for LocalStack and CDK.

The zip holds the `tasks/` package of the function's process (and `tasks/__init__.py`), with fixed timestamps
and sorted entries so that the same sources give the same bytes (and the same CDK asset hash).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from aslkit.resources import Function

_EPOCH = (1980, 1, 1, 0, 0, 0)


def function_sources(root: Path, function: Function) -> list[Path]:
    """The files of the handler's process package (`tasks/<process>/`) plus the package marker above it."""
    parts = function.handler.split(".")
    process_dir = root.joinpath(*parts[:2])  # tasks/<process>
    if not process_dir.is_dir():
        raise FileNotFoundError(
            f"function {function.name!r}: {process_dir} does not exist (handler {function.handler})"
        )
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
