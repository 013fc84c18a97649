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
import json
import threading
import time
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
    _cache_moto_lookups()
    BUILTIN_HANDLERS.insert(0, ("before-send", _step_functions))
    BUILTIN_HANDLERS.insert(0, ("before-send", _inject_fault))  # ahead of the engine's and moto's answers
    BUILTIN_HANDLERS.append(("before-call", _mark_faultable))
    BUILTIN_HANDLERS.append(("before-parameter-build", _change_request))
    BUILTIN_HANDLERS.append(("before-parameter-build.omics", _keep_parameters))
    BUILTIN_HANDLERS.append(("before-call.omics", _omics))
    BUILTIN_HANDLERS.append(("before-send", _after_moto))
    delivery.patch_moto(active)
    _virtual_backoff()
    _installed.append(True)


class _Backoff:
    """The `time` botocore's endpoint sleeps with between a call's attempts: while an engine is wired, a retry goes
    at once (the engine's time is virtual; a throttled handler's backoff would otherwise cost the test real
    seconds)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        if active() is None:
            time.sleep(seconds)


def _virtual_backoff() -> None:
    from botocore import endpoint

    setattr(endpoint, "time", _Backoff())  # noqa: B010 (the module botocore sleeps with, replaced)


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


def _cache_moto_lookups() -> None:
    """Two things moto works out again on every request, though their answers never change: a response class's
    method names (`inspect.getmembers`, 3% of a simulation), and a rule target's input paths, parsed with
    jsonpath-ng, which builds its parser's tables on each parse (5 ms a delivery)."""
    import functools

    from jsonpath_ng import ext
    from moto.core import responses

    for module, name, cache in ((ext, "parse", functools.lru_cache(maxsize=4096)),
                                (responses, "method_names_from_class", functools.cache)):  # fmt: skip
        setattr(module, name, cache(getattr(module, name)))


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


def _mark_faultable(model: Any, context: dict[str, Any], **_: Any) -> None:
    """A call a handler or an integration makes while the engine runs it may be faulted: `_inject_fault` reads
    which operation each of its HTTP attempts is for."""
    call = _faultable_call(model)
    if call is not None:
        context["aslkit_call"] = call


def _faultable_call(model: Any) -> tuple[str, str, str] | None:
    """(service, operation, protocol) of a call the wired engine's fault plan may fault now."""
    engine = active()
    if engine is None or engine.faults is None or not faults.faultable():
        return None
    service = model.service_model
    return (service.endpoint_prefix, model.name, service.protocol)


def _inject_fault(request: Any, event_name: str, **_: Any) -> Any:
    """A fault of the engine's plan for one HTTP attempt of a marked call (`aslkit.engine.faults`), before moto
    answers it: the service's error response or a read timeout (no effect), or the answer lost after the call took
    effect. botocore sees it as it would see AWS's: its retries apply to a throttled call or a timed-out one, and
    a retried write finds the effect of its first attempt."""
    planned = _planned_fault((getattr(request, "context", None) or {}).get("aslkit_call"))
    if planned is None:
        return None
    fault, service, protocol = planned
    from botocore.exceptions import ReadTimeoutError

    if fault.kind == "timeout":
        raise ReadTimeoutError(endpoint_url=request.url)
    if fault.kind == "lost_response":
        answered = _step_functions(request)
        if answered is None:
            from moto.core.models import botocore_stubber

            botocore_stubber(event_name=event_name, request=request)
        raise ReadTimeoutError(endpoint_url=request.url)
    code, message = faults.operation_error(fault, service)
    answer = _error_response(request.url, faults.error_status(fault, service), code, message, protocol)
    # botocore asks every before-send handler: moto must not also answer (and apply) this attempt. `_after_moto`
    # puts the address back for botocore's next attempt, which sends this same request again.
    request.context["aslkit_url"], request.url = request.url, "https://aslkit-fault.invalid/"
    return answer


def _planned_fault(call: tuple[str, str, str] | None) -> tuple[faults.Fault, str, str] | None:
    """The wired engine's fault for this attempt of a faultable call: (fault, service, protocol)."""
    engine = active()
    if engine is None or engine.faults is None or call is None:
        return None
    service, operation, protocol = call
    fault = engine.faults.pick_operation(faults.Call(operation=f"{service}:{operation}"))
    return None if fault is None else (fault, service, protocol)


def _error_response(url: str, status: int, code: str, message: str, protocol: str) -> Any:
    """An error response as the service's protocol shapes it, for botocore to parse."""
    if protocol in ("rest-xml", "query", "ec2"):
        from xml.sax.saxutils import escape

        error = f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        body = (f"<Error>{error}</Error>" if protocol == "rest-xml" else
                f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error><RequestId>aslkit-fault</RequestId>"
                "</ErrorResponse>")  # fmt: skip
        return _response(url, status, {"Content-Type": "text/xml"}, body.encode())
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
    return _response(url, status, headers, json.dumps({"__type": code, "message": message}).encode())


def _change_request(params: dict[str, Any], model: Any, **_: Any) -> None:
    """The wired engine's request changes (`Engine.request_changes`), on every call's parameters."""
    engine = active()
    if engine is not None and engine.request_changes:
        operation = f"{model.service_model.endpoint_prefix}:{model.name}"
        for change in engine.request_changes:
            change(operation, params)


def _keep_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["aslkit_parameters"] = dict(params)


def _omics(model: Any, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    """A HealthOmics call, answered by the wired engine's stand-in as botocore would have parsed the response (an
    operation fault of the plan included: the stand-in answers before botocore sends, so without its retries)."""
    from botocore.exceptions import ReadTimeoutError

    from aslkit.standins.omics import OmicsError

    engine = active()
    if engine is None:
        return None
    planned = _planned_fault(_faultable_call(model))  # (before-call.omics runs before the mark on before-call)
    fault = planned[0] if planned else None
    url = f"https://omics.{engine.region}.amazonaws.com/"
    if fault is not None and fault.kind == "timeout":
        raise ReadTimeoutError(endpoint_url=url)
    try:
        if fault is not None and fault.kind in ("error", "throttle"):
            code, message = faults.operation_error(fault, "omics")
            raise OmicsError(code, message, faults.error_status(fault, "omics"))
        parsed = engine.services.omics.call(model.name, context.get("aslkit_parameters", {}))
        status = model.http.get("responseCode", 200)
        if fault is not None and fault.kind == "lost_response":  # the stand-in did it; the answer is lost
            raise ReadTimeoutError(endpoint_url=url)
    except OmicsError as error:
        parsed = {"Error": {"Code": error.code, "Message": error.message}, "message": error.message}
        status = error.status
    parsed["ResponseMetadata"] = {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}
    return _response(url, status, {}, b""), parsed


def _after_moto(request: Any, **_: Any) -> None:
    """Runs after moto has answered a request (botocore calls every handler): the engine runs what it started
    (and a faulted attempt gets its address back)."""
    if "aslkit_url" in (getattr(request, "context", None) or {}):
        request.url = request.context.pop("aslkit_url")
    engine = active()
    if engine is not None:
        drive(engine)


def _response(url: str, status: int, headers: Any, body: str | bytes) -> Any:
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    return AWSResponse(url, status, headers, MockRawResponse(body))
