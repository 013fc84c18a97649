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
from aslkit.iam import names_for, statements

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = discover(ROOT)
MACHINES = {m.name: (w, m) for w in WORKFLOWS for m in w.machines}


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python infra/app.py` as `cdk synth` runs it, for the dev stage."""
    out = tmp_path_factory.mktemp("cdk.out")
    env = {**os.environ, "CDK_OUTDIR": str(out), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT / "infra", env=env, capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def template(out: Path, stack: str) -> dict[str, Any]:
    return json.loads((out / f"dev-{stack}.template.json").read_text())


def resources(out: Path, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template(out, stack)["Resources"].items() if v["Type"] == kind}


def test_cdk_nag_has_no_unsuppressed_findings_and_every_suppression_has_a_reason(cdk_out: Path) -> None:
    reports = sorted(cdk_out.glob("AwsSolutions-*-NagReport.csv"))
    assert len(reports) == 2
    rows = [row for report in reports for row in csv.DictReader(report.open())]
    assert rows, "cdk-nag checked nothing"
    failing = [r for r in rows if r["Compliance"] == "Non-Compliant"]
    assert failing == [], failing
    suppressed = [r for r in rows if r["Compliance"] == "Suppressed"]
    assert suppressed, "the stacks have suppressions; the report should list them"
    assert all(len(r["Exception Reason"]) > 30 for r in suppressed), "every suppression says why"


def test_cfn_lint_finds_no_errors(cdk_out: Path) -> None:
    templates = [str(cdk_out / f"dev-{s}.template.json") for s in ("stateful", "stateless")]
    result = subprocess.run([sys.executable, "-m", "cfnlint", "--format", "parseable", *templates],
                            capture_output=True, text=True, check=False)  # fmt: skip
    errors = [line for line in result.stdout.splitlines() if ":E" in line.split(" ", 1)[0] or ":E" in line]
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


def _policy_for(out: Path, role_id: str) -> list[dict[str, Any]]:
    policies = resources(out, "stateless", "AWS::IAM::Policy")
    found = [p for p in policies.values() if {"Ref": role_id} in p["Properties"]["Roles"]]
    return [s for p in found for s in p["Properties"]["PolicyDocument"]["Statement"]]


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
        for statement in _policy_for(cdk_out, role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            granted.update(a for a in actions if not any(a.startswith(p) for p in infrastructure))
        assert granted == expected, f"{name}: granted {sorted(granted)}, derived {sorted(expected)}"


def test_stateful_resources_are_protected(cdk_out: Path) -> None:
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
    contracts = ("SequenceRunStateChange", "WesLaunchRequest", "WorkflowRequest", "WorkflowRunStateChange")
    assert names == [f"sequencing.{n}" for n in contracts] + [
        f"sharing.{n}" for n in ("ReadSetsAdded", "job", "package_request")
    ]
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


def test_prod_stage_synthesizes_clean_with_retained_data_and_alarm_mail(tmp_path: Path) -> None:
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
           "CDK_CONTEXT_JSON": json.dumps({"stage": "prod"})}  # fmt: skip
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT / "infra", env=env, capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    stateful = json.loads((tmp_path / "prod-stateful.template.json").read_text())["Resources"]
    tables = [r for r in stateful.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables and all(t["DeletionPolicy"] == "Retain" for t in tables)
    stateless = json.loads((tmp_path / "prod-stateless.template.json").read_text())["Resources"]
    mail = [r for r in stateless.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert [m["Properties"]["Protocol"] for m in mail] == ["email"]
    alarms = [r for r in stateless.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms and all(a["Properties"].get("AlarmActions") for a in alarms)
    rows = [row for report in tmp_path.glob("AwsSolutions-*-NagReport.csv") for row in csv.DictReader(report.open())]
    assert rows and not [r for r in rows if r["Compliance"] == "Non-Compliant"]
