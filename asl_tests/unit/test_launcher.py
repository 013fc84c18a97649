"""The launcher's behaviour when LocalStack is missing, crashes, or is someone else's."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from aslkit.local.launcher import Launcher, LocalStackError


def test_missing_install_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(LocalStackError, match="make localstack"):
        Launcher(tmp_path).up()


def test_a_crash_at_start_is_reported_with_the_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    fake = tmp_path / ".localstack" / "venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'ImportError: cannot import name X_CRASH_MARKER'\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(LocalStackError) as error:
        Launcher(tmp_path).up()
    assert "exited with status 3" in str(error.value)
    assert "X_CRASH_MARKER" in str(error.value)
    assert not (tmp_path / ".localstack" / "run" / "state.json").exists()


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/_localstack/health" else 404)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_an_external_endpoint_is_used_and_never_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        monkeypatch.setenv("LOCALSTACK_ENDPOINT", url)
        launcher = Launcher(tmp_path)
        endpoint = launcher.up()
        assert endpoint.url == url and not endpoint.owned
        assert launcher.down() is False
    finally:
        server.shutdown()
    with pytest.raises(LocalStackError, match="does not answer"):
        Launcher(tmp_path).up()
