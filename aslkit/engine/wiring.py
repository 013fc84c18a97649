"""An engine wired into moto's fakes, so the services' own deliveries reach it as AWS's do.

While an engine is wired (`with wired(engine):`, one at a time), every boto3 call in the process (the test's, a
handler's) goes through here first:
- Step Functions calls are answered by the engine (`aslkit.engine.api`); moto passes them through;
- EventBridge rules (moto matches the pattern and applies the input transformer) deliver to state machines and
  functions through the engine (`aslkit.engine.delivery`), with InputPath and the rule's dead-letter queue;
- a message sent to a queue with an event source mapping wakes its poller;
- HealthOmics, which moto lacks, is answered by the engine's stand-in (`aslkit.standins.omics`);
- after a call made from outside the engine (by the test), the engine runs what it started until idle, so a call
  to PutEvents or SendMessage returns with its consequences done (virtual time does not move).
One lock (`LOCK`) serialises whoever runs the engine: the test's thread, and the threads that serve the
engine's APIs over loopback HTTP. A call made while another thread holds it is served by moto but leaves running
the engine to the holder.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aslkit.engine import api, faults

if TYPE_CHECKING:
    from aslkit.engine import Engine

_active: dict[str, Any] = {"engine": None}
LOCK = threading.RLock()
_installed: list[bool] = []


def active() -> Engine | None:
    engine: Engine | None = _active["engine"]
    return engine


@contextlib.contextmanager
def wired(engine: Engine) -> Iterator[Engine]:
    """Route this process's AWS calls through `engine` (moto answers the rest) until the block ends."""
    from moto.core.config import default_user_config

    _install()
    engine.services.start()
    if _active["engine"] is not None and _active["engine"] is not engine:
        raise RuntimeError("another engine is already wired: one at a time per process")
    passthrough = default_user_config.setdefault("core", {}).setdefault("passthrough", {})
    services = passthrough.setdefault("services", [])
    services.append("stepfunctions")  # moto leaves Step Functions to the engine
    _active.update(engine=engine)
    try:
        yield engine
    finally:
        _active.update(engine=None)
        services.remove("stepfunctions")


def drive(engine: Engine) -> None:
    """Run what is ready, if the caller is outside the engine (a test, not a handler) and nobody else runs it."""
    if engine.scheduler.running or engine.held or not LOCK.acquire(blocking=False):
        return
    try:
        engine.scheduler.run_until_idle()
    finally:
        LOCK.release()


def _install() -> None:
    """Once per process: a botocore handler ahead of moto's, and moto's delivery points extended."""
    if _installed:
        return
    import moto.core.models  # noqa: F401 (moto's own handler must be registered before ours is put first)
    from botocore.handlers import BUILTIN_HANDLERS

    from aslkit.engine import delivery

    _share_botocore_models()
    BUILTIN_HANDLERS.insert(0, ("before-send", _step_functions))
    BUILTIN_HANDLERS.append(("before-call", _inject_fault))
    BUILTIN_HANDLERS.append(("after-call", _lose_response))
    BUILTIN_HANDLERS.append(("before-parameter-build.omics", _keep_parameters))
    BUILTIN_HANDLERS.append(("before-call.omics", _omics))
    BUILTIN_HANDLERS.append(("before-send", _after_moto))
    delivery.patch_moto(active)
    _installed.append(True)


def _share_botocore_models() -> None:
    """One cache of botocore's JSON models for every session in the process. Under moto each `boto3.Session()` (a
    handler's, a library's such as quilt3) would load and decode the service models again (2 s per packaging run in
    EDP); botocore already shares them within a session and never changes them."""
    from botocore import loaders

    cache: dict[tuple[Any, ...], Any] = {}
    for name in ("load_service_model", "load_data", "load_data_with_path", "list_available_services",
                 "list_api_versions", "determine_latest_version"):  # fmt: skip
        original = getattr(loaders.Loader, name)

        def shared(loader: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            key = (_name, tuple(loader.search_paths), args, tuple(sorted(kwargs.items())))
            if key not in cache:
                cache[key] = _original(loader, *args, **kwargs)
            return cache[key]

        setattr(loaders.Loader, name, shared)


def _step_functions(request: Any, **_: Any) -> Any:
    """Step Functions requests, answered by the wired engine (moto passes them through)."""
    engine = active()
    host = urlsplit(request.url).hostname or ""
    if engine is None or not host.startswith(("states.", "sync-states.")):
        return None
    target = request.headers.get("X-Amz-Target", b"")
    action = (target.decode() if isinstance(target, bytes) else str(target)).rpartition(".")[2]
    with LOCK:
        status, headers, body = api.serve(engine, action, request.body)
        drive(engine)
    return _response(request.url, status, headers, body)


def _inject_fault(model: Any, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    """A fault of the engine's plan for this service operation, when a handler or an integration calls it while
    the engine runs (`aslkit.engine.faults`): the service's error, a read timeout, or a mark to lose the answer."""
    engine = active()
    if engine is None or engine.faults is None or not faults.faultable():
        return None
    service = model.service_model.endpoint_prefix
    fault = engine.faults.pick_operation(faults.Call(operation=f"{service}:{model.name}"))
    if fault is None:
        return None
    url = f"https://{service}.{engine.region}.amazonaws.com/"
    if fault.kind == "timeout":
        from botocore.exceptions import ReadTimeoutError

        raise ReadTimeoutError(endpoint_url=url)
    if fault.kind == "lost_response":
        context["aslkit_lose_response"] = url
        return None
    code, message = faults.operation_error(fault, service)
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RetryAttempts": 0}}  # fmt: skip
    return _response(url, 400, {}, b""), parsed


def _lose_response(context: dict[str, Any], **_: Any) -> None:
    """After a call marked by `_inject_fault` took effect: its answer never reaches the caller."""
    url = context.pop("aslkit_lose_response", None)
    if url is not None:
        from botocore.exceptions import ReadTimeoutError

        raise ReadTimeoutError(endpoint_url=url)


def _keep_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["aslkit_parameters"] = dict(params)


def _omics(model: Any, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    """A HealthOmics call, answered by the wired engine's stand-in as botocore would have parsed the response."""
    from aslkit.standins.omics import OmicsError

    engine = active()
    if engine is None:
        return None
    try:
        parsed = engine.services.omics.call(model.name, context.get("aslkit_parameters", {}))
        status = model.http.get("responseCode", 200)
    except OmicsError as error:
        parsed = {"Error": {"Code": error.code, "Message": error.message}, "message": error.message}
        status = error.status
    parsed["ResponseMetadata"] = {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}
    return _response(f"https://omics.{engine.region}.amazonaws.com/", status, {}, b""), parsed


def _after_moto(request: Any, **_: Any) -> None:
    """Runs after moto has answered a request (botocore calls every handler): the engine runs what it started."""
    engine = active()
    if engine is not None:
        drive(engine)


def _response(url: str, status: int, headers: Any, body: str | bytes) -> Any:
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    return AWSResponse(url, status, headers, MockRawResponse(body))
