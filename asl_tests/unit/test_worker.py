"""The Lambda worker's handler loading and encoding, as AWS's Python runtime reports them (no LocalStack needed)."""

from __future__ import annotations

import decimal
import importlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from aslkit.local.installer import PLUGIN_DIR

WORKER_PATH = PLUGIN_DIR / "aslkit_localstack" / "worker.py"
spec = importlib.util.spec_from_file_location("aslkit_worker", WORKER_PATH)
assert spec and spec.loader
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)


@pytest.fixture
def code_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "fn_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text("def handler(event, context):\n    return event\n")
    (package / "broken.py").write_text("def handler(event, context)\n    return event\n")
    (package / "explodes.py").write_text("raise RuntimeError('bad config at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("fn_pkg")]:
        del sys.modules[name]


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("handler", "Runtime.MalformedHandlerName", "Bad handler 'handler'"),
        ("fn_pkg.nope.handler", "Runtime.ImportModuleError", "Unable to import module 'fn_pkg.nope'"),
        ("fn_pkg.broken.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'fn_pkg.broken'"),
        ("fn_pkg.good.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'fn_pkg.good'"),
        ("fn_pkg.explodes.handler", "RuntimeError", "bad config at import"),
    ],
)
def test_init_errors_have_aws_names(code_dir: Path, handler: str, error_type: str, message: str) -> None:
    with pytest.raises(worker.RuntimeInitError) as caught:
        worker.load_handler(handler)
    assert caught.value.payload["errorType"] == error_type
    assert message in caught.value.payload["errorMessage"]


def test_good_handler_loads(code_dir: Path) -> None:
    assert worker.load_handler("fn_pkg.good.handler")({"a": 1}, None) == {"a": 1}


def test_decimals_encode_as_numbers() -> None:
    text = json.dumps({"i": decimal.Decimal("3"), "f": decimal.Decimal("2.5")}, default=worker._json_default)
    assert json.loads(text) == {"i": 3, "f": 2.5}
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        json.dumps({1, 2}, default=worker._json_default)
