"""Headless Chromium for page tests: the DOM after the page's scripts ran, and screenshots.

Debian's `chromium` package (`apt-get install chromium`) or any Chrome/Chromium on PATH (`CHROMIUM` names one).
Flags keep it offline and quiet: no background networking, component updates, sync or first-run work, and a fresh
profile each time (a closed network refuses those connections, many at a time, otherwise); a DOM dump runs in one
process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
#: A DOM dump in one process (browser and renderer, no zygote): a page load peaks at about 320 MiB of RSS instead of
#: about 960 MiB over Chromium's usual processes, for about 0.4 s more. A screenshot hangs that way (it needs the
#: compositor's own process), so screenshots keep the usual processes.
_ONE_PROCESS = ("--single-process", "--no-zygote")


class BrowserMissing(RuntimeError):
    """No Chromium to run."""


def find_chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).exists() else None)
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


def _run(url: str, extra: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    program = find_chromium()
    if program is None:
        raise BrowserMissing("no Chromium found: install it (`apt-get install chromium`) or set CHROMIUM=/path")
    with tempfile.TemporaryDirectory(prefix="aslkit-chromium-") as profile:
        command = [program, *_FLAGS, f"--user-data-dir={profile}", *extra, url]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(url: str, *, budget_ms: int = 5000, timeout: float = 60.0, size: tuple[int, int] | None = None) -> str:
    """The page's DOM, serialised after its scripts ran (within `budget_ms` of virtual time), in a window of `size`
    (width, height) when given (what a layout check measures against)."""
    window = [f"--window-size={size[0]},{size[1]}"] if size else []
    return _run(url, [*_ONE_PROCESS, "--dump-dom", f"--virtual-time-budget={budget_ms}", *window], timeout).stdout


def screenshot(url: str, path: Path, *, size: tuple[int, int] = (1400, 1000), timeout: float = 60.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(url, [f"--screenshot={path}", f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=3000"], timeout)
    return path


class Element:
    """One element of a dumped DOM: tag, attributes, and its text (descendants included)."""

    def __init__(self, tag: str, attributes: dict[str, str], parent: Element | None) -> None:
        self.tag = tag
        self.attributes = attributes
        self.parent = parent
        self.children: list[Element] = []
        self.text_parts: list[str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attributes.get("class", "").split())

    @property
    def text(self) -> str:
        return "".join(self.text_parts + [child.text for child in self.children])

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                found.append(child)
            found += child.find_all(tag, cls)
        return found

    def by_id(self, element_id: str) -> Element | None:
        for element in self.find_all():
            if element.attributes.get("id") == element_id:
                return element
        return None


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text_parts.append(data)


def parse(dom: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(dom)
    builder.close()
    return builder.root
