"""State machine definitions inside CloudFormation and SAM templates, or a CDK `cdk.out` folder, for the linter.

Every `AWS::StepFunctions::StateMachine` (`Definition`, `DefinitionString`, `DefinitionS3Location` of a local
file) and `AWS::Serverless::StateMachine` (`Definition`, `DefinitionUri` of a local file) is found, with its
logical id. CloudFormation fills the definition before Step Functions reads it, so what it fills becomes a
declared `${placeholder}`: the keys of `DefinitionSubstitutions`, the variables of an `Fn::Sub`, and each `Ref`,
`Fn::GetAtt` or other intrinsic inside an `Fn::Join` (`${Ref:MyTopic}`, `${GetAtt:MyFn.Arn}`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslkit.errors import UserInputError

STATE_MACHINE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


@dataclass
class Definition:
    """One state machine of a template: where it is, its ASL text, and the placeholders deployment fills."""

    label: str  # template path#LogicalId
    text: str
    placeholders: set[str] = field(default_factory=set)


def is_template(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("Resources"), dict) and "States" not in document


def definitions(path: Path) -> Iterator[Definition]:
    """The definitions of a template file, or of every `*.template.json` in a folder (a CDK `cdk.out`)."""
    found = find(path)
    if found is None:
        raise UserInputError(f"{path} is neither an ASL definition nor a CloudFormation template")
    yield from found


def find(path: Path) -> list[Definition] | None:
    """The definitions of a template or a cdk.out folder, each file read once; None for a JSON file that is not a
    template (a plain ASL definition, or text the linter reports on)."""
    if path.is_dir():
        templates = sorted(path.glob("*.template.json"))
        if not templates:
            raise UserInputError(f"{path} holds no *.template.json", hint="point at a CDK cdk.out folder")
        return [definition for template in templates for definition in definitions(template)]
    if path.suffix.lower() in (".yaml", ".yml"):
        document = _yaml(path.read_text(encoding="utf-8"), path)
    else:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
    if not is_template(document):
        return None
    return [_definition(path, logical_id, resource.get("Properties") or {})
            for logical_id, resource in document["Resources"].items()
            if isinstance(resource, dict) and resource.get("Type") in STATE_MACHINE_TYPES]  # fmt: skip


def _definition(path: Path, logical_id: str, properties: dict[str, Any]) -> Definition:
    label = f"{path}#{logical_id}"
    substitutions = properties.get("DefinitionSubstitutions") or {}
    known = set(substitutions) if isinstance(substitutions, dict) else set()
    if "Definition" in properties:
        text = json.dumps(_placeholders_for_intrinsics(properties["Definition"], known), indent=2)
    elif "DefinitionString" in properties:
        text = _string(properties["DefinitionString"], known, label)
    else:
        location = properties.get("DefinitionUri") or properties.get("DefinitionS3Location")
        if not isinstance(location, str):
            raise UserInputError(f"{label}: the definition is in S3 ({location!r}), which the linter cannot read",
                                 hint="lint the local file the template was built from")  # fmt: skip
        local = (path.parent / location).resolve()
        if not local.is_file():
            raise UserInputError(f"{label}: DefinitionUri {location!r} is not a file next to the template")
        text = local.read_text(encoding="utf-8")
    return Definition(label, text, known)


def _string(value: Any, known: set[str], label: str) -> str:
    """A DefinitionString: text, `Fn::Sub` (text and variables) or `Fn::Join` (parts, intrinsics as placeholders)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        text = sub[0] if isinstance(sub, list) else sub
        if isinstance(sub, list) and len(sub) > 1 and isinstance(sub[1], dict):
            known.update(sub[1])
        if isinstance(text, str):
            known.update(_SUB_VARIABLE.findall(text))  # Fn::Sub fills every ${...} (or the deployment fails)
            return text
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return str(delimiter).join(p if isinstance(p, str) else _intrinsic_placeholder(p, known) for p in parts)
    raise UserInputError(f"{label}: DefinitionString {json.dumps(value)[:80]} is not text, Fn::Sub or Fn::Join")


def _placeholders_for_intrinsics(value: Any, known: set[str]) -> Any:
    """A `Definition` object with every intrinsic (`{"Ref": ...}`) replaced by a declared placeholder."""
    if isinstance(value, dict):
        if len(value) == 1 and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::")):
            return _intrinsic_placeholder(value, known)
        return {key: _placeholders_for_intrinsics(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholders_for_intrinsics(item, known) for item in value]
    return value


def _intrinsic_placeholder(value: Any, known: set[str]) -> str:
    if isinstance(value, dict) and "Ref" in value:
        name = f"Ref:{value['Ref']}"
    elif isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        name = f"GetAtt:{'.'.join(target) if isinstance(target, list) else target}"
    else:
        name = f"{next(iter(value)) if isinstance(value, dict) and value else 'intrinsic'}:{len(known)}"
    known.add(name)
    return "${" + name + "}"


def _yaml(text: str, path: Path) -> Any:
    """A YAML document with CloudFormation's short tags (!Ref, !Sub, !GetAtt ...) as their JSON forms."""
    try:
        import yaml
    except ImportError:
        raise UserInputError(f"{path} is YAML, which needs PyYAML", hint="pip install pyyaml") from None

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:
            raise yaml.YAMLError(f"unexpected {node!r} after !{suffix}")
        return {name: value}

    Loader.add_multi_constructor("!", tagged)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass that knows CloudFormation's tags
    except yaml.YAMLError as error:
        raise UserInputError(f"{path} is not valid YAML: {error}") from None
