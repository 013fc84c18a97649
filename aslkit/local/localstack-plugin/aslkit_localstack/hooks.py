"""Start-up hooks: swap in the pure-Python JSONata evaluator, fix an EventBridge target gap, add a state-reset route.

`POST /_aslkit/state/reset` resets every loaded service (the community edition answers 404 on LocalStack's own
`/_localstack/state/reset`): lifecycle hooks before and after, and the stores and moto backends cleared in between.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)


@hooks.on_infra_start()
def aslkit_install_jsonata() -> None:
    from aslkit_localstack import jsonata_eval

    jsonata_eval.install()


@hooks.on_infra_start()
def aslkit_fix_states_target() -> None:
    """LocalStack names a rule-started execution after `event["id"]`, which an InputPath or InputTransformer has
    removed: delivery fails with KeyError 'id'. Use the event id when there is one, else a fresh one (AWS uses a
    random name for these executions in every case)."""
    from localstack.services.events.target import StatesTargetSender
    from localstack.utils.strings import long_uid

    def send_event(self: Any, event: Any, trace_header: Any) -> None:
        self.service = "stepfunctions"
        has_id = isinstance(event, dict) and "id" in event and not self.target.get("Input")
        name = event["id"] if has_id else long_uid()
        self.client.start_execution(stateMachineArn=self.target["Arn"], name=name, input=json.dumps(event))

    StatesTargetSender.send_event = send_event


@hooks.on_infra_start()
def aslkit_fix_constant_input() -> None:
    """LocalStack sends a target's constant Input only when it is truthy JSON: `{}` (EDP's sweep schedule) is
    dropped ("No event to send to target"), so the schedule never starts its machine. AWS delivers the constant as
    it is written."""
    from localstack.services.events.target import TargetSender

    original = TargetSender.process_event

    def process_event(self: Any, event: Any, trace_header: Any) -> None:
        constant = self.target.get("Input")
        if constant is not None and not json.loads(constant):
            self.send_event(json.loads(constant), trace_header)
            return
        original(self, event, trace_header)

    TargetSender.process_event = process_event


@hooks.on_infra_start()
def aslkit_sdk_without_host_prefix() -> None:
    """Step Functions' `aws-sdk:*` clients call LocalStack at `localhost:<port>`; an API with a host prefix
    (HealthOmics' `control-storage-`, `analytics-`) would make that `control-storage-localhost`, which no resolver
    knows. LocalStack routes on the request, not the host, so its clients send the requests without the prefix."""
    from botocore.config import Config
    from localstack.services.stepfunctions.asl.utils import boto_client

    boto_client._BOTO_CLIENT_CONFIG = boto_client._BOTO_CLIENT_CONFIG.merge(Config(inject_host_prefix=False))


@hooks.on_infra_start()
def aslkit_register_routes() -> None:
    from localstack.http import Response, route
    from localstack.services.edge import ROUTER

    class StateResource:
        @route("/_aslkit/state/reset", methods=["POST"])
        def reset(self, request: Any) -> Response:
            started = time.perf_counter()
            services = reset_all_services()
            return Response.for_json({"reset": services, "seconds": round(time.perf_counter() - started, 3)})

        @route("/_aslkit/omics/seed", methods=["POST"])
        def seed_omics(self, request: Any) -> Response:
            from aslkit_localstack.omics import STANDIN
            from aslkit_localstack.omics_standin import OmicsError

            try:
                return Response.for_json(STANDIN.seed(json.loads(request.data or b"{}")))
            except (OmicsError, ValueError) as error:
                return Response.for_json({"error": str(error)}, status=400)

        @route("/_aslkit/health", methods=["GET"])
        def health(self, request: Any) -> Response:
            return Response.for_json({"aslkit_plugin": True})

    ROUTER.add(StateResource())


def reset_all_services() -> list[str]:
    from localstack.services.plugins import SERVICE_PLUGINS
    from localstack.services.stores import AccountRegionBundle
    from localstack.state import StateVisitor
    from moto.core.base_backend import BackendDict

    class ResetVisitor(StateVisitor):
        def visit(self, state_container: Any) -> None:
            if isinstance(state_container, AccountRegionBundle):
                state_container.reset()
            elif isinstance(state_container, BackendDict):
                for account_backend in state_container.values():
                    account_backend.reset()
                state_container.clear()

    from aslkit_localstack.omics import STANDIN

    STANDIN.reset()  # seeded before the service was first called, it is not among the loaded services
    reset: list[str] = []
    for name in SERVICE_PLUGINS.list_loaded_services():
        service = SERVICE_PLUGINS.get_service(name)
        if service is None:
            continue
        try:
            service.lifecycle_hook.on_before_state_reset()
            service.accept_state_visitor(ResetVisitor())
            service.lifecycle_hook.on_after_state_reset()
            reset.append(name)
        except Exception as error:  # one service failing to reset must not keep the others dirty
            LOG.warning("aslkit: could not reset %s: %s", name, error)
    return sorted(reset)
