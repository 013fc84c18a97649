"""Crackling stood up locally: an NCBI stand-in on loopback that serves, for any assembly accession, the
deterministic genome of `tasks.crackling.genome.stand_in`, in NCBI's directory layout, with byte ranges.

Tests configure it: `sizes` (bases per accession), `missing` accessions (404), `failures` (byte offset of a part
-> how many of its requests fail with 500; -1: all) and `level` (gzip level: 0 stores, so a few Mbp make a
multipart download). `requests` counts (method, path, range).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tasks.crackling.genome import fasta_gz, stand_in
from tasks.crackling.source import assembly_directory

ROOT = "/genomes/all"
ASSEMBLY = "StandIn"
LISTING = re.compile(r"^/genomes/all/(GC[AF])/(\d{3})/(\d{3})/(\d{3})/$")
FILE = re.compile(
    rf"^/genomes/all/GC[AF]/\d{{3}}/\d{{3}}/\d{{3}}/(GC[AF]_\d{{9}}\.\d+)_{ASSEMBLY}/\1_{ASSEMBLY}_genomic\.fna\.gz$"
)


class GenomeSource:
    def __init__(self, *, default_size: int = 200_000, level: int = 6) -> None:
        self.default_size = default_size
        self.level = level
        self.sizes: dict[str, int] = {}
        self.missing: set[str] = set()
        self.failures: dict[int, int] = {}  # part start -> times it answers 500 (-1: always)
        self.cut_short: dict[int, int] = {}  # part start -> times its body stops halfway (the connection drops)
        self.outages = 0  # the next listings (and HEADs) answer 503, as a source in trouble does
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self._files: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{ROOT}"

    def __enter__(self) -> GenomeSource:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def genome_file(self, accession: str) -> bytes:
        with self._lock:
            if accession not in self._files:
                genome = stand_in(accession, size=self.sizes.get(accession, self.default_size))
                self._files[accession] = fasta_gz(genome, level=self.level)
            return self._files[accession]

    def file_path(self, accession: str) -> str:
        directory = assembly_directory(ROOT, accession)
        return f"{directory}{accession}_{ASSEMBLY}/{accession}_{ASSEMBLY}_genomic.fna.gz"

    def downloads(self, accession: str) -> int:
        """GET requests for the accession's FASTA (one per part)."""
        path = self.file_path(accession)
        return sum(n for (method, p, _), n in self.requests.items() if method == "GET" and p == path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        source = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet
                return

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, *, body: bool) -> None:
                byte_range = self.headers.get("Range", "")
                source.requests[(self.command, self.path, byte_range)] += 1
                with source._lock:
                    outage = not byte_range and source.outages > 0
                    source.outages -= 1 if outage else 0
                if outage:
                    self._send(503, b"service unavailable", "text/plain", body)
                    return
                listing = LISTING.match(self.path)
                if listing:
                    prefix, digits = listing.group(1), "".join(listing.groups()[1:])
                    names = [f"{prefix}_{digits}.{v}_{ASSEMBLY}" for v in (1, 2, 3)
                             if f"{prefix}_{digits}.{v}" not in source.missing]  # fmt: skip
                    links = "".join(f'<a href="{name}/">{name}/</a>\n' for name in names)
                    self._send(200, f"<html><body><pre>{links}</pre></body></html>".encode(), "text/html", body)
                    return
                file = FILE.match(self.path)
                accession = file.group(1) if file else None
                if accession is None or accession in source.missing or self.path != source.file_path(accession):
                    self._send(404, b"not found", "text/plain", body)
                    return
                data = source.genome_file(accession)
                if not byte_range:
                    self._send(200, data, "application/gzip", body)
                    return
                start, end = (int(x) for x in byte_range.removeprefix("bytes=").split("-"))
                with source._lock:
                    left = source.failures.get(start, 0)
                    if left:
                        source.failures[start] = left - 1 if left > 0 else left
                    short = source.cut_short.get(start, 0)
                    if short:
                        source.cut_short[start] = short - 1
                if left:
                    self._send(500, b"injected failure", "text/plain", body)
                    return
                if short:  # the declared length, half the bytes, then the connection closes
                    self.send_response(206)
                    self.send_header("Content-Length", str(end - start + 1))
                    self.end_headers()
                    self.wfile.write(data[start : start + (end - start + 1) // 2])
                    self.close_connection = True
                    return
                self._send(206, data[start : end + 1], "application/gzip", body,
                           {"Content-Range": f"bytes {start}-{end}/{len(data)}"})  # fmt: skip

            def _send(
                self, status: int, data: bytes, kind: str, body: bool, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Accept-Ranges", "bytes")
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if body:
                    self.wfile.write(data)

        return Handler


def verify_sender(clients: Any) -> str:
    """Verify the local `email_sender` with SES (moto and LocalStack send only from verified identities, as SES does
    in AWS, where the stage verifies its own); returns the address."""
    from workflows.crackling import WORKFLOW

    address = WORKFLOW.local_parameters()["email_sender"]
    clients.client("ses").verify_email_identity(EmailAddress=address)
    return address


@contextmanager
def local_environment(clients: Any, deploy: Callable[[dict[str, str]], Any]) -> Iterator[Any]:
    verify_sender(clients)
    with GenomeSource() as source:
        deployment = deploy(
            {"genome_source": source.url, "genome_poll_seconds": "1", "genome_poll_max_attempts": "120"}
        )
        deployment.genome_source = source
        yield deployment
