"""The Workflow spec's checks on APIs and sites: a route must name a function of the workflow and a clean path."""

from __future__ import annotations

import pytest

from aslkit.asl import Pass, StateMachine
from aslkit.spec import Api, Bucket, Function, Route, SpecError, Workflow

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


def test_apis_and_sites_provide_their_placeholders() -> None:
    api = Api("spec_api", routes=[Route("POST", "/submit", HANDLER.name)])
    site = Bucket("spec_site", site="web/crackling", site_config={"api": api.url})
    workflow = Workflow("spec", "x", machines=[MACHINE], functions=[HANDLER], apis=[api], buckets=[site])
    provided = workflow.provided_placeholders()
    assert provided["spec_api_api_url"] == "url of api 'spec_api'"
    assert provided["spec_api_api_id"] == "id of api 'spec_api'"
    assert str(site.site_config["api"]) == "${spec_api_api_url}"
