"""The CDK app, synthesized offline (no AWS account, no Docker): cdk-nag, cfn-lint, and the rendering itself."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aslkit.build import discover
from aslkit.errors import SpecError
from aslkit.iam import names_for, statements

pytestmark = pytest.mark.synth
ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = discover(ROOT)
MACHINES = {m.name: (w, m) for w in WORKFLOWS for m in w.machines}


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python infra/app.py` as `cdk synth` runs it, for the dev stage."""
    return _synthesized(tmp_path_factory.mktemp("cdk.out"), {"stage": "dev"})


def template(out: Path, workflow: str, kind: str, stage: str = "dev") -> dict[str, Any]:
    return json.loads((out / f"{stage}-{workflow}-{kind}.template.json").read_text())


def resources(out: Path, kind: str, type_: str, stage: str = "dev") -> dict[str, dict[str, Any]]:
    """Resources of `type_` in every workflow's `kind` (stateful, stateless) stack, by `<stack>/<logical id>`."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(out.glob(f"{stage}-*-{kind}.template.json")):
        stack = path.name.removesuffix(".template.json")
        found.update({f"{stack}/{k}": v for k, v in json.loads(path.read_text())["Resources"].items()
                      if v["Type"] == type_})  # fmt: skip
    return found


def templates(out: Path, stage: str = "dev") -> list[Path]:
    return sorted(out.glob(f"{stage}-*.template.json"))


def test_cdk_nag_has_no_unsuppressed_findings_and_every_suppression_has_a_reason(cdk_out: Path) -> None:
    reports = sorted(cdk_out.glob("AwsSolutions-*-NagReport.csv"))
    assert len(reports) == len(templates(cdk_out)), "cdk-nag checked every stack of every workflow"
    rows = _nag_rows(cdk_out)
    assert rows, "cdk-nag checked nothing"
    failing = [r for r in rows if r["Compliance"] == "Non-Compliant"]
    assert failing == [], failing
    suppressed = [r for r in rows if r["Compliance"] == "Suppressed"]
    assert suppressed, "the stacks have suppressions; the report should list them"
    assert all(len(r["Exception Reason"]) > 30 for r in suppressed), "every suppression says why"


def test_cfn_lint_finds_no_errors(cdk_out: Path) -> None:
    errors = _lint_errors(templates(cdk_out))
    assert errors == [], "\n".join(errors)


def test_definitions_are_the_committed_asl(cdk_out: Path) -> None:
    machines = resources(cdk_out, "stateless", "AWS::StepFunctions::StateMachine")
    assert len(machines) == len(MACHINES)
    for resource in machines.values():
        properties = resource["Properties"]
        name = properties["StateMachineName"].removeprefix("dev-").replace("-", "_")
        _workflow, machine = MACHINES[name]
        committed = (ROOT / "statemachines" / f"{name}.asl.json").read_text()
        assert properties["DefinitionString"] == committed, f"{name}: the template runs what is committed"
        assert sorted(properties["DefinitionSubstitutions"]) == machine.placeholders
        assert properties["StateMachineType"] == machine.type
        assert properties["TracingConfiguration"] == {"Enabled": True}
        assert properties["LoggingConfiguration"]["Level"] == "ALL"


def test_aslkit_lint_reads_the_synthesized_cdk_out(cdk_out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The linter finds every state machine of the templates, with CloudFormation's DefinitionSubstitutions as
    declared placeholders: the app's definitions are clean there as they are in statemachines/."""
    from aslkit.cli import main

    assert main(["lint", str(cdk_out)]) == 0
    assert f"{len(MACHINES)} file(s): 0 error(s), 0 warning(s)" in capsys.readouterr().err


def test_execution_roles_hold_the_derived_statements_and_nothing_else(cdk_out: Path) -> None:
    machines = resources(cdk_out, "stateless", "AWS::StepFunctions::StateMachine")
    infrastructure = {"logs:", "xray:"}  # logging and tracing, added by CDK for LoggingConfiguration and X-Ray
    for resource in machines.values():
        name = resource["Properties"]["StateMachineName"].removeprefix("dev-").replace("-", "_")
        workflow, _machine = MACHINES[name]
        document = json.loads((ROOT / "statemachines" / f"{name}.asl.json").read_text())
        expected = {a for s in statements(document, names_for(workflow, name)) for a in s.actions}
        role = resource["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        granted: set[str] = set()
        for statement in _policy_in(cdk_out, "dev", workflow.name, role):
            granted.update(a for a in _actions(statement) if not any(a.startswith(p) for p in infrastructure))
        assert granted == expected, f"{name}: granted {sorted(granted)}, derived {sorted(expected)}"


def test_stateful_resources_are_protected(cdk_out: Path) -> None:
    assert resources(cdk_out, "stateful", "AWS::DynamoDB::Table"), "the stateful stacks hold the tables"
    for table in resources(cdk_out, "stateful", "AWS::DynamoDB::Table").values():
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True
    for bucket in resources(cdk_out, "stateful", "AWS::S3::Bucket").values():
        assert bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
        assert "BucketEncryption" in bucket["Properties"]
    policies = resources(cdk_out, "stateful", "AWS::S3::BucketPolicy")
    assert all("aws:SecureTransport" in json.dumps(p) for p in policies.values()), "TLS only"
    for queue in resources(cdk_out, "stateful", "AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    ingress = next(q for q in resources(cdk_out, "stateful", "AWS::SQS::Queue").values()
                   if q["Properties"]["QueueName"] == "dev-ens-ingress")  # fmt: skip
    assert ingress["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5


def test_event_contracts_are_in_the_schema_registry(cdk_out: Path) -> None:
    schemas = resources(cdk_out, "stateful", "AWS::EventSchemas::Schema")
    names = sorted(s["Properties"]["SchemaName"] for s in schemas.values())
    contracts = (
        "SequenceRunFailed",
        "SequenceRunStateChange",
        "WesLaunchRequest",
        "WorkflowRequest",
        "WorkflowRunFailed",
        "WorkflowRunStateChange",
    )
    sharing = ("FastqListRowsAdded", "PackageStateChange", "PushStateChange", "ReadSetsAdded", "job", "package_request")
    assert names == [f"sequencing.{n}" for n in contracts] + [f"sharing.{n}" for n in sharing]
    for schema in schemas.values():
        content = json.loads(schema["Properties"]["Content"])
        assert schema["Properties"]["Type"] == "JSONSchemaDraft4"
        assert content["$schema"] == "http://json-schema.org/draft-04/schema#" and "id" in content


def test_rules_have_a_dlq_and_a_retry_policy(cdk_out: Path) -> None:
    rules = [
        r for r in resources(cdk_out, "stateless", "AWS::Events::Rule").values() if "EventPattern" in r["Properties"]
    ]
    assert rules
    for rule in rules:
        for target in rule["Properties"]["Targets"]:
            assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 10


def test_functions_run_python_3_13_with_the_dependency_layer_and_partial_batches(cdk_out: Path) -> None:
    functions = resources(cdk_out, "stateless", "AWS::Lambda::Function")
    catalogue = {f.name for w in WORKFLOWS for f in w.functions}
    named = {f["Properties"]["FunctionName"].removeprefix("dev-").replace("-", "_"): f for f in functions.values()
             if "FunctionName" in f["Properties"]}  # fmt: skip
    assert catalogue <= set(named)
    for name in catalogue:
        properties = named[name]["Properties"]
        assert properties["Runtime"] == "python3.13" and len(properties["Layers"]) == 1
        assert properties["TracingConfig"] == {"Mode": "Active"}
        environment = properties["Environment"]["Variables"]
        assert (
            environment["POWERTOOLS_METRICS_NAMESPACE"] == "aslkit" and "POWERTOOLS_TRACE_DISABLED" not in environment
        )
    mappings = resources(cdk_out, "stateless", "AWS::Lambda::EventSourceMapping")
    assert [m["Properties"]["FunctionResponseTypes"] for m in mappings.values()] == [["ReportBatchItemFailures"]]


def test_every_machine_has_a_sample_input_beside_its_asl() -> None:
    from tasks.sequencing import ens

    for name in MACHINES:
        sample = ROOT / "statemachines" / f"{name}.input.json"
        assert sample.exists(), f"{sample} is missing: the README promises one per machine"
        json.loads(sample.read_text())
    ens.check(
        "SequenceRunStateChange", json.loads((ROOT / "statemachines/sequencing_orchestrator.input.json").read_text())
    )


def _synthesized(out: Path, context: dict[str, Any]) -> Path:
    result = _synth(out, context)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def _nag_rows(out: Path) -> list[dict[str, str]]:
    """Every row of every stack's cdk-nag report in `out`."""
    return [row for report in sorted(out.glob("AwsSolutions-*-NagReport.csv")) for row in csv.DictReader(report.open())]


def _lint_errors(paths: list[Path]) -> list[str]:
    """cfn-lint's error lines (E...) for the templates."""
    result = subprocess.run([sys.executable, "-m", "cfnlint", "--format", "parseable", *map(str, paths)],
                            capture_output=True, text=True, check=False)  # fmt: skip
    return [line for line in result.stdout.splitlines() if ":E" in line]


def _synth(out: Path, context: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """The app as the CDK CLI runs it; assets are referenced where they are built instead of copied into `out`
    (the CLI's `--no-staging`: the templates are the same, and the 170 MB layer is not copied for each synth)."""
    env = {**os.environ, "CDK_OUTDIR": str(out), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
           "CDK_CONTEXT_JSON": json.dumps({**context, "aws:cdk:disable-asset-staging": True})}  # fmt: skip
    return subprocess.run([sys.executable, "app.py"], cwd=ROOT / "infra", env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


@pytest.fixture(scope="session")
def prod_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synthesized(tmp_path_factory.mktemp("cdk.out.prod"), {"stage": "prod"})


def test_prod_stage_synthesizes_clean_with_retained_data_and_dead_letters_and_alarm_mail(prod_out: Path) -> None:
    tables = resources(prod_out, "stateful", "AWS::DynamoDB::Table", "prod")
    queues = resources(prod_out, "stateful", "AWS::SQS::Queue", "prod")
    dead_letters = [q for q in queues.values() if q["Properties"]["QueueName"].endswith("-dlq")]
    assert tables and dead_letters, "tables and every dead-letter queue (rules' too) live in the stateful stacks"
    assert all(r["DeletionPolicy"] == "Retain" for r in [*tables.values(), *queues.values()])
    assert not resources(prod_out, "stateless", "AWS::SQS::Queue", "prod"), "nothing that holds data is stateless"
    mail = resources(prod_out, "stateless", "AWS::SNS::Subscription", "prod")
    assert {m["Properties"]["Protocol"] for m in mail.values()} == {"email"} and len(mail) == len(WORKFLOWS)
    alarms = resources(prod_out, "stateless", "AWS::CloudWatch::Alarm", "prod")
    assert alarms and all(a["Properties"].get("AlarmActions") for a in alarms.values())
    rows = _nag_rows(prod_out)
    assert rows and not [r for r in rows if r["Compliance"] == "Non-Compliant"]


def test_prod_adopts_the_seeds_existing_table_bucket_and_buses_creates_none_and_grants_on_them(prod_out: Path) -> None:
    """The seeds' configurations (infra/stages.py): the read-set sync writes into the account's existing
    healthomics_set_metadata; EDP watches the existing instrument-landing bucket and announces on the existing
    data-platform bus with its own thresholds; data sharing listens on OrcaBusMain."""
    readset = template(prod_out, "readset", "stateful", "prod")["Resources"]
    assert not [r for r in readset.values() if r["Type"] == "AWS::DynamoDB::Table"], "the table is adopted"
    status = next(r for r in template(prod_out, "readset", "stateless", "prod")["Resources"].values()
                  if r["Properties"].get("StateMachineName") == "prod-readset-status")  # fmt: skip
    assert status["Properties"]["DefinitionSubstitutions"]["readset_metadata_table_name"] == "healthomics_set_metadata"
    role = status["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    writes = [s for s in _policy_in(prod_out, "prod", "readset", role) if "dynamodb:PutItem" in _actions(s)]
    assert json.dumps(writes).count(":table/healthomics_set_metadata") == 1, writes

    edp_stateful = template(prod_out, "edp", "stateful", "prod")["Resources"].values()
    assert not [r for r in edp_stateful if r["Type"] == "AWS::Events::EventBus"], "the bus is adopted"
    buckets = [r for r in edp_stateful if r["Type"] == "AWS::S3::Bucket"]
    assert len(buckets) == 3 + 1, "archive, registry, quarantine and the access logs: the landing bucket is adopted"
    notifications = [r for r in edp_stateful if r["Type"] == "Custom::S3BucketNotifications"]
    assert "instrument-landing" in [n["Properties"]["BucketName"] for n in notifications], (
        "the adopted bucket's object events are turned on"
    )
    edp = template(prod_out, "edp", "stateless", "prod")["Resources"]
    rules = [r["Properties"] for r in edp.values() if r["Type"] == "AWS::Events::Rule"]
    assert {r.get("EventBusName") for r in rules if "EventPattern" in r} >= {"data-platform"}
    recorder = next(r for r in edp.values() if r["Properties"].get("StateMachineName") == "prod-edp-recorder")
    substitutions = recorder["Properties"]["DefinitionSubstitutions"]
    assert substitutions["edp_landing_bucket_name"] == "instrument-landing"
    assert (substitutions["edp_landing_threshold_count"], substitutions["edp_landing_threshold_seconds"]) == (
        "100",
        "900",
    )
    assert substitutions["edp_landing_ignore"] == "/^(raw/.*|scratch/.*|.*[.]tmp)$/"
    assert substitutions["edp_landing_prefix_depth"] == "2"
    builder = next(k for k, r in edp.items() if r["Properties"].get("FunctionName") == "prod-edp-package-builder")
    grants = json.dumps(_policy_in(prod_out, "prod", "edp", edp[builder]["Properties"]["Role"]["Fn::GetAtt"][0]))
    assert "arn:aws:s3:::instrument-landing/*" in grants, "the builder reads the adopted bucket's objects"

    sharing = template(prod_out, "sharing", "stateless", "prod")["Resources"].values()
    trigger = [
        r["Properties"] for r in sharing if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"]
    ]
    assert {r.get("EventBusName") for r in trigger} == {"OrcaBusMain"}


def _policy_in(out: Path, stage: str, workflow: str, role_id: str) -> list[dict[str, Any]]:
    """The statements of the policies of role `role_id` in the workflow's stateless stack."""
    stack = template(out, workflow, "stateless", stage)["Resources"].values()
    return [s for p in stack if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]]  # fmt: skip


def _actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_each_workflow_is_a_stack_pair_of_its_own_coupled_only_to_itself(cdk_out: Path) -> None:
    """Every workflow renders into `dev-<workflow>-stateful` and `-stateless` (a workflow without stores of its own
    has no stateful stack); a stateless stack imports only its own stateful stack's exports, named by aslkit.names."""
    for workflow in WORKFLOWS:
        stateless = template(cdk_out, workflow.name, "stateless")
        imports = {value["Fn::ImportValue"] for value in _find(stateless, "Fn::ImportValue")}
        assert all(i.startswith(f"dev-{workflow.name}:".replace("_", "-")) for i in imports), imports
        if imports:
            exported = {o["Export"]["Name"] for o in template(cdk_out, workflow.name, "stateful")["Outputs"].values()}
            assert imports <= exported
        tags = {t["Key"]: t["Value"] for t in next(iter(
            r for r in stateless["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
        ))["Properties"]["Tags"]}  # fmt: skip
        assert tags["aslkit:workflow"] == workflow.name and tags["aslkit:stage"] == "dev"
        assert len(stateless["Resources"]) < 200, "far below CloudFormation's 500 resources per stack"


def _find(value: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return ([value] if key in value else []) + [f for v in value.values() for f in _find(v, key)]
    if isinstance(value, list):
        return [f for v in value for f in _find(v, key)]
    return []


def test_no_template_names_a_local_account_and_every_wildcard_says_why(cdk_out: Path) -> None:
    for path in templates(cdk_out):
        assert "000000000000" not in path.read_text(), f"{path.name} names LocalStack's account"
    for policy in resources(cdk_out, "stateless", "AWS::IAM::Policy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        s3_anywhere = [s for s in statements if s["Resource"] == "*" and any(a.startswith("s3:") for a in _actions(s))]
        assert s3_anywhere == [], "S3 object actions are scoped to buckets the definition or the stage names"
        if any(s["Resource"] == "*" for s in statements) and "StateMachine" in json.dumps(
            policy["Properties"]["Roles"]
        ):
            reasons = policy.get("Metadata", {}).get("aslkit:wildcards")
            assert reasons and all(len(r["Reason"]) > 20 for r in reasons), policy
    sweeper = json.dumps(_policy_in(cdk_out, "dev", "edp", next(
        r["Properties"]["RoleArn"]["Fn::GetAtt"][0] for r in template(cdk_out, "edp", "stateless")["Resources"].values()
        if r["Properties"].get("StateMachineName") == "dev-edp-sweeper")))  # fmt: skip
    assert "dynamodb:Scan" in sweeper and '"Resource": "*"' not in sweeper.split("dynamodb:Scan")[1][:200], (
        "the sweeper's Scan names its table, read from the JSONata $merge of its Arguments"
    )


def test_each_workflow_has_a_dashboard_of_its_rules_machines_functions_and_dead_letters(cdk_out: Path) -> None:
    for workflow in WORKFLOWS:
        boards = [r for r in template(cdk_out, workflow.name, "stateless")["Resources"].values()
                  if r["Type"] == "AWS::CloudWatch::Dashboard"]  # fmt: skip
        assert len(boards) == 1
        body = json.dumps(boards[0]["Properties"]["DashboardBody"])
        for machine in workflow.machines:
            assert f"{machine.name}: executions" in body and "ExecutionsTimedOut" in body
        for rule in workflow.rules:
            assert f"rule {rule.name}" in body and "FailedInvocations" in body
        if workflow.functions:
            assert "Throttles" in body and "Errors" in body
        for metric in (m for f in workflow.functions for m in f.metrics):
            assert f'"{metric}"' in body.replace('\\"', '"'), f"{workflow.name}: the business count {metric}"
    alarms = resources(cdk_out, "stateless", "AWS::CloudWatch::Alarm")
    names = {a["Properties"]["AlarmName"]: a["Properties"]["AlarmDescription"] for a in alarms.values()}
    assert names["dev-readset-readset-status-failed"].startswith("workflow readset (stage dev): state machine "
                                                                 "readset_status")  # fmt: skip


def test_a_stage_missing_a_required_parameter_or_naming_a_local_account_fails_with_the_parameter_and_stage() -> None:
    import aws_cdk as cdk

    from aslkit.cdk import Stage, WorkflowSettings, render
    from aslkit.errors import StageError

    crackling = next(w for w in WORKFLOWS if w.name == "crackling")
    with pytest.raises(StageError, match=r"stage qa, workflow crackling: parameter 'email_sender' has no "
                                         r"value \(the SES-verified address"):  # fmt: skip
        render(cdk.App(), Stage("qa"), [crackling], ROOT, nag=False)
    sharing = next(w for w in WORKFLOWS if w.name == "sharing")
    local = {"share_destination_objects": "arn:aws:s3:::shares-000000000000/*"}
    with pytest.raises(StageError, match=r"parameter 'share_destination_objects' .* names the local account "
                                         r"000000000000"):  # fmt: skip
        render(cdk.App(), Stage("qa", workflows={"sharing": WorkflowSettings(parameters=local)}), [sharing], ROOT,
               nag=False)  # fmt: skip
    local_queue = {"crackling_index": "arn:aws:batch:us-east-1:000000000000:job-queue/q"}
    with pytest.raises(StageError, match=r"adopted 'crackling_index' .* in the local account 000000000000"):
        settings = WorkflowSettings(adopt=local_queue, parameters={"email_sender": "a@example.org"})
        render(cdk.App(), Stage("qa", workflows={"crackling": settings}), [crackling], ROOT, nag=False)
    sequencing = next(w for w in WORKFLOWS if w.name == "sequencing")
    from infra.stages import WES_DEV

    adopted_queue = WorkflowSettings(adopt={"ens_ingress": "existing-ens"},
                                     parameters={**WES_DEV, "wes_output_root": "gds://v/p"})  # fmt: skip
    with pytest.raises(StageError, match=r"\$\{ens_ingress_queue_dlq_url\} has no value here: the stage adopts"):
        render(cdk.App(), Stage("qa", workflows={"sequencing": adopted_queue}), [sequencing], ROOT, nag=False)
    readset = next(w for w in WORKFLOWS if w.name == "readset")
    local_table = {"readset_metadata": "arn:aws:dynamodb:us-east-1:000000000000:table/t"}
    with pytest.raises(StageError, match=r"adopted 'readset_metadata' .* in the local account 000000000000"):
        render(cdk.App(), Stage("qa", workflows={"readset": WorkflowSettings(adopt=local_table)}), [readset], ROOT,
               nag=False)  # fmt: skip
    with pytest.raises(SpecError, match="cannot adopt 'readset_item_builder': its function"):
        render(cdk.App(), Stage("qa", workflows={"readset": WorkflowSettings(adopt={"readset_item_builder": "x"})}),
               [readset], ROOT, nag=False)  # fmt: skip


def test_one_workflow_synthesizes_alone_clean(tmp_path: Path) -> None:
    _synthesized(tmp_path, {"stage": "dev", "workflows": "readset"})
    assert [p.name for p in templates(tmp_path)] == ["dev-readset-stateful.template.json",
                                                     "dev-readset-stateless.template.json"]  # fmt: skip
    rows = _nag_rows(tmp_path)
    assert rows and not [r for r in rows if r["Compliance"] == "Non-Compliant"]
    assert _lint_errors(templates(tmp_path)) == []


def test_the_crackling_api_is_throttled_and_allows_only_its_sites_origin(cdk_out: Path) -> None:
    (stage,) = [r for r in template(cdk_out, "crackling", "stateless")["Resources"].values()
                if r["Type"] == "AWS::ApiGateway::Stage"]  # fmt: skip
    assert stage["Properties"]["MethodSettings"][0] | {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 10} == (
        stage["Properties"]["MethodSettings"][0]), "the stage's api_rate_limit and api_burst_limit"  # fmt: skip
    (http,) = [f for f in resources(cdk_out, "stateless", "AWS::Lambda::Function").values()
               if f["Properties"].get("FunctionName") == "dev-crackling-http"]  # fmt: skip
    env = http["Properties"]["Environment"]["Variables"]
    assert env["ALLOWED_ORIGIN"] == {"Fn::ImportValue": "dev-crackling:crackling-site-bucket-origin"}
    outputs = template(cdk_out, "crackling", "stateful")["Outputs"]
    (origin,) = [o for o in outputs.values() if o["Export"]["Name"] == "dev-crackling:crackling-site-bucket-origin"]
    assert origin["Value"]["Fn::Join"][1][0] == "https://", "the CloudFront distribution's own address"
    assert (env["DAILY_JOB_QUOTA"], env["MAX_REQUEST_BYTES"]) == ("500", "65536")
    (scorer,) = [f for f in resources(cdk_out, "stateless", "AWS::Lambda::Function").values()
                 if f["Properties"].get("FunctionName") == "dev-crackling-scorer"]  # fmt: skip
    assert scorer["Properties"]["EphemeralStorage"] == {"Size": 10240}, "room in /tmp to map a human-sized index"


def test_the_sharing_api_authorises_every_method_with_iam_and_its_function_operates_only_its_machines(
    cdk_out: Path,
) -> None:
    stack = template(cdk_out, "sharing", "stateless")["Resources"]
    methods = [r["Properties"] for r in stack.values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert len(methods) == 10 and {m["AuthorizationType"] for m in methods} == {"AWS_IAM"}
    crackling = template(cdk_out, "crackling", "stateless")["Resources"]
    assert {r["Properties"]["AuthorizationType"] for r in crackling.values() if r["Type"] == "AWS::ApiGateway::Method"
            } == {"NONE"}, "the public API stays public"  # fmt: skip
    (role,) = [k for k, r in stack.items() if r["Type"] == "AWS::IAM::Policy" and k.startswith("sharingapihandler")]
    statements = stack[role]["Properties"]["PolicyDocument"]["Statement"]

    def resources_of(action: Any) -> list[str]:
        found = [s["Resource"] for s in statements if s["Action"] == action]
        return [json.dumps(r) for listed in found for r in (listed if isinstance(listed, list) else [listed])]

    machines = ("packaging", "presign", "push")
    assert sorted(next(n for n in machines if f"stateMachine:dev-sharing-{n}\"" in text)
                  for text in resources_of("states:StartExecution")) == list(machines)  # fmt: skip
    assert sorted(next(n for n in machines if f":execution:dev-sharing-{n}:*" in text)
                  for text in resources_of(["states:DescribeExecution", "states:StopExecution"])) == list(machines)  # fmt: skip


def test_topics_that_rules_publish_to_have_their_own_key_and_a_policy_for_those_rules(cdk_out: Path) -> None:
    for workflow, topic, rule in (("edp", "edp_announcements", "edp-announce"),
                                  ("sequencing", "sequencing_notifications", "sequencing-failures")):  # fmt: skip
        stateful = template(cdk_out, workflow, "stateful")["Resources"]
        (created,) = [r for r in stateful.values() if r["Type"] == "AWS::SNS::Topic"
                      and r["Properties"]["TopicName"] == f"dev-{topic.replace('_', '-')}"]  # fmt: skip
        key = stateful[created["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]]
        assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
        statements = [s for p in stateful.values() if p["Type"] == "AWS::SNS::TopicPolicy"
                      for s in p["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "EventBridgeRulesPublish"]  # fmt: skip
        (publish,) = [s for s in statements if rule in json.dumps(s["Condition"])]
        assert publish["Principal"] == {"Service": "events.amazonaws.com"} and publish["Action"] == "sns:Publish"
    parameters = resources(cdk_out, "stateful", "AWS::SSM::Parameter")
    (controls,) = parameters.values()
    assert controls["Properties"]["Name"] == "dev-sequencing-run-controls"
    assert json.loads(controls["Properties"]["Value"]) == {"emergency_stop": False, "skip_libraries": [],
                                                           "skip_runs": []}  # fmt: skip


def test_crackling_s_index_job_runs_on_batch_fargate_from_an_image_of_the_project_s_code(cdk_out: Path) -> None:
    stack = template(cdk_out, "crackling", "stateless")["Resources"]

    def one(type_: str) -> dict[str, Any]:
        (found,) = [r["Properties"] for r in stack.values() if r["Type"] == type_]
        return found

    definition = one("AWS::Batch::JobDefinition")
    container = definition["ContainerProperties"]
    assert definition["JobDefinitionName"] == "dev-crackling-index" and definition["PlatformCapabilities"] == [
        "FARGATE"
    ]
    assert container["Command"] == ["python", "-m", "tasks.crackling.indexer", "--genome-key", "Ref::genomeKey",
                                    "--index-key", "Ref::indexKey"]  # fmt: skip
    assert {r["Type"]: r["Value"] for r in container["ResourceRequirements"]} == {"VCPU": "4", "MEMORY": "30720"}
    assert container["EphemeralStorage"] == {"SizeInGiB": 50}
    assert container["NetworkConfiguration"] == {"AssignPublicIp": "ENABLED"}
    assert (definition["Timeout"], definition["RetryStrategy"]["Attempts"]) == ({"AttemptDurationSeconds": 14400}, 2)
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["DATA_BUCKET"] == {"Fn::ImportValue": "dev-crackling:crackling-data-bucket-name"}
    assert "cdk-hnb659fds-container-assets" in json.dumps(container["Image"]), "the image is a CDK asset"
    compute = one("AWS::Batch::ComputeEnvironment")
    resources_ = compute["ComputeResources"]
    assert (compute["Type"], resources_["Type"], resources_["MaxvCpus"]) == ("managed", "FARGATE", 16)
    assert len(resources_["Subnets"]) == 2 and one("AWS::EC2::FlowLog")["TrafficType"] == "ALL"
    assert not [r for r in stack.values() if r["Type"] == "AWS::EC2::NatGateway"], "no NAT gateway to pay for"
    queue = one("AWS::Batch::JobQueue")
    assert queue["JobQueueName"] == "dev-crackling-index"
    # the image: built from tasks/Dockerfile with the indexer's package and the tasks' requirements, nothing else
    manifest = json.loads((cdk_out / "dev-crackling-stateless.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    context = cdk_out / image["source"]["directory"]
    files = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
    assert "Dockerfile" in files and "tasks/crackling/indexer.py" in files and "tasks/requirements.txt" in files
    assert not [f for f in files if f.startswith(("tasks/sharing", ".venv", "build/"))]
    # the machine may submit to that queue and definition; the job's role may write the data bucket
    machine = next(k for k, r in stack.items() if r["Type"] == "AWS::StepFunctions::StateMachine")
    role = stack[machine]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    (submit,) = [s for s in _policy_in(cdk_out, "dev", "crackling", role) if _actions(s) == ["batch:SubmitJob"]]
    named = {stack[r.get("Ref") or r["Fn::GetAtt"][0]]["Type"] for r in submit["Resource"]}
    assert named == {"AWS::Batch::JobQueue", "AWS::Batch::JobDefinition"}, "that queue and definition only"
    job_role = container["JobRoleArn"]["Fn::GetAtt"][0]
    assert any("s3:PutObject" in _actions(s) for s in _policy_in(cdk_out, "dev", "crackling", job_role))


def test_prod_indexes_on_the_account_s_existing_batch_queue(prod_out: Path) -> None:
    stack = template(prod_out, "crackling", "stateless", "prod")["Resources"]
    kinds = {r["Type"] for r in stack.values()}
    assert "AWS::Batch::JobDefinition" in kinds
    assert not kinds & {"AWS::Batch::JobQueue", "AWS::Batch::ComputeEnvironment", "AWS::EC2::VPC"}
    machine = next(r for r in stack.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    queue = machine["Properties"]["DefinitionSubstitutions"]["crackling_index_job_queue_arn"]
    assert "job-queue/genomics-fargate" in json.dumps(queue)
