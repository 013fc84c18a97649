"""SVG and PNG through Graphviz's `dot` program (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install
graphviz`). Mermaid and dot text need nothing installed."""

from __future__ import annotations

import shutil
import subprocess
from typing import Final, Literal

from aslkit.errors import UserInputError

ImageFormat = Literal["svg", "png"]
IMAGE_FORMATS: Final = ("svg", "png")


class GraphvizMissing(UserInputError):
    """Graphviz's `dot` is not on PATH."""


def available() -> bool:
    return shutil.which("dot") is not None


def render(source: str, fmt: ImageFormat) -> bytes:
    """Lay out a dot graph and return the image (SVG text as UTF-8 bytes, or PNG)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(
            f"drawing {fmt.upper()} needs Graphviz's `dot`: install it (`apt-get install graphviz`, "
            "`brew install graphviz`) or use --format mermaid|dot"
        )
    completed = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=60)
    if completed.returncode != 0:
        problem = completed.stderr.decode(errors="replace").strip()
        raise UserInputError(f"Graphviz could not lay out the diagram: {problem}")
    return completed.stdout
