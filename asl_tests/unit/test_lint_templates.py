"""`aslkit lint` on CloudFormation and SAM templates: every state machine in them, named by logical id, with what
CloudFormation fills (DefinitionSubstitutions, Fn::Sub variables, intrinsics in Fn::Join) declared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aslkit.cli import main
from aslkit.lint import templates

SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Approvals:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/approvals.asl.json
      DefinitionSubstitutions:
        TopicArn: !Ref Topic
  Inline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Notify
        States:
          Notify:
            Type: Task
            Resource: arn:aws:states:::sns:publish
            Parameters:
              TopicArn: !Ref Topic
              Message: hello
            Next: Broken
          Broken:
            Type: Pass
            Next: Nowhere
  Topic:
    Type: AWS::SNS::Topic
"""


@pytest.fixture
def sam(tmp_path: Path) -> Path:
    (tmp_path / "statemachine").mkdir()
    (tmp_path / "statemachine" / "approvals.asl.json").write_text(json.dumps({
        "StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                                            "Parameters": {"TopicArn": "${TopicArn}", "Message": "${Undeclared}"},
                                            "End": True}}}))  # fmt: skip
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    return path


def test_a_sam_template_yields_each_state_machine_with_what_cloudformation_fills(sam: Path) -> None:
    found = {d.label.rsplit("#", 1)[1]: d for d in templates.definitions(sam)}
    assert set(found) == {"Approvals", "Inline"}
    assert found["Approvals"].placeholders == {"TopicArn"}
    inline = json.loads(found["Inline"].text)
    assert inline["States"]["Notify"]["Parameters"]["TopicArn"] == "${Ref:Topic}"
    assert found["Inline"].placeholders == {"Ref:Topic"}


def test_lint_reports_each_machine_by_logical_id(sam: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(sam)]) == 1
    out = capsys.readouterr().out
    assert f"{sam}#Inline:/States/Broken/Next: error [unresolved-next]" in out
    assert f"{sam}#Approvals:/States/Ask/Parameters/Message: error [unknown-placeholder]" in out, (
        "a ${...} that no DefinitionSubstitution fills stays in the definition as text"
    )
    unknown = [line for line in out.splitlines() if "[unknown-placeholder]" in line]
    assert len(unknown) == 1 and "${Undeclared}" in unknown[0], "TopicArn is filled: no finding for it"


def test_a_cloudformation_json_template_with_fn_join_and_fn_sub(tmp_path: Path, capsys) -> None:
    definition = {"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": "RESOURCE", "End": True}}}
    head, tail = json.dumps(definition).split('"RESOURCE"')
    template = {"Resources": {
        "Joined": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "DefinitionString": {"Fn::Join": ["", [head + '"', {"Fn::GetAtt": ["Worker", "Arn"]}, '"' + tail]]}}},
        "Subbed": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "DefinitionString": {"Fn::Sub": json.dumps(definition).replace("RESOURCE", "${Worker.Arn}")}}},
        "Worker": {"Type": "AWS::Lambda::Function"},
    }}  # fmt: skip
    path = tmp_path / "stack.template.json"
    path.write_text(json.dumps(template))
    found = {d.label.rsplit("#", 1)[1]: d for d in templates.definitions(path)}
    assert json.loads(found["Joined"].text)["States"]["Run"]["Resource"] == "${GetAtt:Worker.Arn}"
    assert found["Subbed"].placeholders == {"Worker.Arn"}
    assert main(["lint", str(tmp_path)]) == 0, "a folder of *.template.json is linted like cdk.out"
    assert "2 file(s): 0 error(s), 0 warning(s)" in capsys.readouterr().err


def test_a_definition_in_s3_or_a_missing_file_is_named(tmp_path: Path, capsys) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionS3Location": {"Bucket": "b", "Key": "k"}}}}}))  # fmt: skip
    assert main(["lint", str(path)]) == 2
    assert "the definition is in S3" in capsys.readouterr().err
