"""The Workflow spec's checks on APIs and sites (a route names a function of the workflow and a clean path), and
the `dynamodb_set` builder the workflows write their records with."""

from __future__ import annotations

from pathlib import Path

import pytest

from aslkit.asl import Pass, StateMachine
from aslkit.spec import Api, Bucket, Function, Route, SpecError, Workflow

ROOT = Path(__file__).resolve().parents[2]
HANDLER = Function("spec_http", handler="tasks.example.summarise_run.handler")
MACHINE = StateMachine("spec_machine", Pass("Only"))


def test_an_api_route_must_name_a_function_of_the_workflow() -> None:
    api = Api("spec_api", routes=[Route("GET", "/things/{id}", "missing_function")])
    with pytest.raises(SpecError, match=r"route GET /things/\{id\} names no function of the workflow"):
        Workflow("spec", "x", machines=[MACHINE], functions=[HANDLER], apis=[api])


@pytest.mark.parametrize("path", ["things", "/things/"])
def test_route_paths_start_with_a_slash_and_do_not_end_with_one(path: str) -> None:
    with pytest.raises(SpecError, match="must start with / and not end with /"):
        Api("spec_api", routes=[Route("GET", path, HANDLER.name)])


def test_an_api_authorises_with_iam_or_not_at_all_and_a_function_has_lambdas_ephemeral_storage() -> None:
    assert Api("private", routes=[Route("GET", "/x", "fn")], auth="iam").auth == "iam"
    with pytest.raises(SpecError, match="auth is 'none' or 'iam', not 'cognito'"):
        Api("odd", auth="cognito")  # type: ignore[arg-type]
    assert Function("big_tmp", handler="tasks.x.y.handler", ephemeral_storage=10240).ephemeral_storage == 10240
    with pytest.raises(SpecError, match="ephemeral_storage is 512 to 10240"):
        Function("too_big", handler="tasks.x.y.handler", ephemeral_storage=20000)


def test_apis_and_sites_provide_their_placeholders() -> None:
    api = Api("spec_api", routes=[Route("POST", "/submit", HANDLER.name)])
    site = Bucket("spec_site", site="web/crackling", site_config={"api": api.url})
    workflow = Workflow("spec", "x", machines=[MACHINE], functions=[HANDLER], apis=[api], buckets=[site])
    provided = workflow.provided_placeholders()
    assert provided["spec_api_api_url"] == "url of api 'spec_api'"
    assert provided["spec_api_api_id"] == "id of api 'spec_api'"
    assert str(site.site_config["api"]) == "${spec_api_api_url}"


def test_dynamodb_set_aliases_every_attribute_and_refuses_clashing_values() -> None:
    from aslkit.asl import dynamodb_set, jsonata

    task = dynamodb_set(
        "Mark", table="t", key={"id": {"S": "x"}},
        values={"status": {"S": "DONE"}, "size": {"N": jsonata("$string($n)")}},
        condition="#status = :was AND #owner = :me", condition_names=("owner",),
        condition_values={":was": {"S": "RUNNING"}, ":me": {"S": "me"}},
    )  # fmt: skip
    machine = StateMachine("spec_set", task, query_language="JSONata")
    state = __import__("json").loads(machine.to_json())["States"]["Mark"]
    assert state["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    arguments = state["Arguments"]
    assert arguments["UpdateExpression"] == "SET #status = :status, #size = :size"  # size is a reserved word
    assert arguments["ExpressionAttributeNames"] == {"#status": "status", "#size": "size", "#owner": "owner"}
    assert set(arguments["ExpressionAttributeValues"]) == {":status", ":size", ":was", ":me"}
    assert arguments["ConditionExpression"] == "#status = :was AND #owner = :me"
    with pytest.raises(ValueError, match=":status clash"):
        dynamodb_set("Bad", table="t", key={}, values={"status": {"S": "A"}}, condition_values={":status": {"S": "B"}})


def test_no_lambda_package_of_the_catalogue_holds_a_local_stand_in() -> None:
    """The stand-ins of external systems (the fake ICA WES, the genome source) live beside their workflow, in
    `workflows/`, and never ship in a function's code."""
    from pathlib import Path

    from aslkit.build import discover
    from aslkit.package import function_sources

    root = Path(__file__).resolve().parents[2]
    for workflow in discover(root):
        for function in workflow.functions:
            shipped = [p.relative_to(root).as_posix() for p in function_sources(root, function)]
            assert all(p.startswith("tasks/") for p in shipped), shipped
            assert not [p for p in shipped if "fake" in p or p.endswith("local.py")], (function.name, shipped)


def test_a_container_job_takes_fargate_s_sizes_and_names_what_it_refuses(tmp_path: Path) -> None:
    from aslkit.errors import BuildError
    from aslkit.package import build_container_dir
    from aslkit.resources import ContainerJob

    job = ContainerJob("index", module="tasks.crackling.indexer", arguments=("--x", "Ref::x"), vcpus=4, memory=30720)
    assert job.command == ["python", "-m", "tasks.crackling.indexer", "--x", "Ref::x"]
    assert job.placeholders() == {"index_job_queue_arn": "queue_arn", "index_job_definition_arn": "definition_arn"}
    assert job.adoptable and not job.stateful, "a stage may adopt its queue; it holds no data (the stateless stack)"
    with pytest.raises(SpecError, match="with 4 vCPUs Fargate gives 8192 to 30720 MiB in steps of 1024, not 4096"):
        ContainerJob("small", module="tasks.x.y", vcpus=4, memory=4096)
    with pytest.raises(SpecError, match=r"Fargate runs 0\.25, 0\.5, 1, 2, 4, 8, 16 vCPUs, not 3"):
        ContainerJob("odd", module="tasks.x.y", vcpus=3, memory=8192)
    with pytest.raises(SpecError, match="module 'indexer' must be a dotted path"):
        ContainerJob("bare", module="indexer")
    with pytest.raises(SpecError, match="max_vcpus 2 is below the job's 4 vCPUs: Batch would never start it"):
        ContainerJob("stuck", module="tasks.x.y", vcpus=4, memory=8192, max_vcpus=2)
    with pytest.raises(SpecError, match="ephemeral_storage is 21 to 200 GiB"):
        ContainerJob("disk", module="tasks.x.y", ephemeral_storage=500)
    with pytest.raises(BuildError, match="no Dockerfile at"):
        build_container_dir(ROOT, ContainerJob("elsewhere", module="tasks.crackling.indexer", dockerfile="nope"),
                            tmp_path)  # fmt: skip
    context = build_container_dir(ROOT, job, tmp_path)
    assert (context / "Dockerfile").read_text() == (ROOT / "tasks/Dockerfile").read_text()
    assert (context / "tasks/crackling/indexer.py").is_file() and not (context / "tasks/sharing").exists()
