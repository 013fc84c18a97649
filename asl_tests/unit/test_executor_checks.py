"""The Lambda executor's worker replacement, checked under LocalStack's own interpreter (it imports LocalStack)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_PYTHON = ROOT / ".localstack" / "venv" / "bin" / "python"


@pytest.mark.skipif(not LOCALSTACK_PYTHON.exists(), reason="LocalStack's venv is not built: run `make localstack`")
def test_worker_replacement_and_timeouts() -> None:
    result = subprocess.run([str(LOCALSTACK_PYTHON), str(ROOT / "localstack/plugin/checks/check_executor.py"), sys.executable],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 25 replacements and a timeout")
