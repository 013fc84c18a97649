"""The Lambda executor's worker replacement, checked under LocalStack's own interpreter (it imports LocalStack)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aslkit.local.installer import PLUGIN_DIR, installed_python

LOCALSTACK_PYTHON = installed_python()


@pytest.mark.skipif(LOCALSTACK_PYTHON is None, reason="LocalStack's venv is not built: run `aslkit local install`")
def test_worker_replacement_and_timeouts() -> None:
    result = subprocess.run([str(LOCALSTACK_PYTHON), str(PLUGIN_DIR / "checks" / "check_executor.py"), sys.executable],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 25 replacements and a timeout")
