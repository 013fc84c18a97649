"""The launcher's behaviour when LocalStack is missing, crashes, or is someone else's."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from aslkit.local import installer
from aslkit.local.launcher import Launcher, LocalStackError


def test_missing_install_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("ASLKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LocalStackError, match="aslkit local install"):
        Launcher(tmp_path).up()


def test_a_crash_at_start_is_reported_with_the_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("ASLKIT_CACHE", str(tmp_path / "cache"))
    fake = installer.venv_dir() / "bin" / "python"
    fake.parent.mkdir(parents=True)
    (installer.venv_dir() / ".complete").write_text("")
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


def test_the_localstack_venv_lives_in_the_user_cache_keyed_by_its_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASLKIT_CACHE", str(tmp_path))
    folder = installer.venv_dir()
    assert folder.parent == tmp_path / "localstack"
    assert folder.name.startswith(f"{installer.LOCALSTACK_VERSION}-py3.")
    assert folder.name.endswith(installer.fingerprint())  # the same sources give the same folder: installed once
    assert installer.installed_python() is None  # nothing built there yet
    sources = {path.relative_to(installer.PLUGIN_DIR).as_posix() for path in installer._sources()}
    assert {
        "pyproject.toml",
        "constraints.txt",
        "requirements-slim.in",
        "aslkit_localstack/lambda_executor.py",
    } <= sources


def test_an_old_python_is_refused_before_anything_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "python"
    old.write_text("#!/bin/sh\necho 3.11\n")
    old.chmod(0o755)
    monkeypatch.setenv("ASLKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LocalStackError, match=r"needs Python >= 3.12; .* is 3.11"):
        installer.install(lambda line: None, python=str(old))
    assert not (tmp_path / "cache").exists()
