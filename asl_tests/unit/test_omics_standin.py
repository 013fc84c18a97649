"""aslkit's HealthOmics stand-in, called as botocore calls it: the API's member names, paging, filters, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aslkit.standins.omics import OPERATIONS, OmicsError, OmicsStandIn

SEED = json.loads((Path(__file__).resolve().parents[2] / "samples/readset/seed/omics.json").read_text())
STORE = "1234567890"


@pytest.fixture
def omics() -> OmicsStandIn:
    standin = OmicsStandIn()
    assert standin.seed(SEED) == {"sequenceStores": 1, "readSets": 2}
    return standin


def test_a_seeded_read_set_is_described_with_derived_arns_and_datetimes(omics: OmicsStandIn) -> None:
    found = omics.call("GetReadSetMetadata", {"sequenceStoreId": STORE, "id": "3456789012"})
    assert found["arn"] == f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE}/readSet/3456789012"
    assert found["sequenceStoreId"] == STORE and found["files"]["source1"]["partSize"] == 104857600
    assert found["creationTime"].isoformat() == "2023-04-04T17:50:00+00:00", "timestamps as the API parses them"
    assert omics.call("ListTagsForResource", {"resourceArn": found["arn"]}) == {"tags": {"project": "P1",
                                                                                        "owner": "genomics"}}  # fmt: skip
    store = omics.call("GetSequenceStore", {"id": STORE})
    assert store["name"] == "prod-store" and "readSets" not in store


def test_list_read_sets_pages_and_filters(omics: OmicsStandIn) -> None:
    many = {**SEED, "sequenceStores": [{"id": "2000000007", "readSets": [{"id": f"10000000{n:02d}",
            "status": "ARCHIVED" if n % 3 == 0 else "ACTIVE"} for n in range(7)]}]}  # fmt: skip
    omics.seed(many)
    first = omics.call("ListReadSets", {"sequenceStoreId": "2000000007", "maxResults": 3})
    assert [r["id"] for r in first["readSets"]] == ["1000000000", "1000000001", "1000000002"]
    second = omics.call("ListReadSets", {"sequenceStoreId": "2000000007", "maxResults": 3,
                                         "nextToken": first["nextToken"]})  # fmt: skip
    last = omics.call("ListReadSets", {"sequenceStoreId": "2000000007", "maxResults": 3,
                                       "nextToken": second["nextToken"]})  # fmt: skip
    assert len(second["readSets"]) == 3 and [r["id"] for r in last["readSets"]] == ["1000000006"]
    assert "nextToken" not in last, "the last page has no token"
    archived = omics.call("ListReadSets", {"sequenceStoreId": "2000000007", "filter": {"status": "ARCHIVED"}})
    assert [r["id"] for r in archived["readSets"]] == ["1000000000", "1000000003", "1000000006"]
    assert set(first["readSets"][0]) <= {"id", "arn", "sequenceStoreId", "status", "creationTime"}


def test_tags_can_be_changed(omics: OmicsStandIn) -> None:
    arn = f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE}/readSet/3456789013"
    omics.call("TagResource", {"resourceArn": arn, "tags": {"stage": "qc"}})
    omics.call("UntagResource", {"resourceArn": arn, "tagKeys": ["project"]})
    assert omics.call("ListTagsForResource", {"resourceArn": arn}) == {"tags": {"stage": "qc"}}


@pytest.mark.parametrize(("operation", "request_", "code", "status", "says"), [
    ("GetReadSetMetadata", {"sequenceStoreId": STORE, "id": "9999999999"}, "ResourceNotFoundException", 404,
     "read set 9999999999 in sequence store 1234567890 does not exist"),
    ("GetSequenceStore", {"id": "0000000000"}, "ResourceNotFoundException", 404, "sequence store 0000000000"),
    ("ListReadSets", {"sequenceStoreId": STORE, "maxResults": 101}, "ValidationException", 400, "from 1 to 100"),
    ("ListReadSets", {"sequenceStoreId": STORE, "nextToken": "!!"}, "ValidationException", 400, "invalid nextToken"),
    ("ListTagsForResource", {"resourceArn": "arn:aws:omics:x"}, "ResourceNotFoundException", 404, "resource arn"),
    ("StartReadSetImportJob", {}, "NotImplemented", 501, "does not serve StartReadSetImportJob"),
])  # fmt: skip
def test_errors_carry_the_apis_codes(omics: OmicsStandIn, operation: str, request_: dict, code: str, status: int,
                                     says: str) -> None:  # fmt: skip
    with pytest.raises(OmicsError) as caught:
        omics.call(operation, request_)
    assert (caught.value.code, caught.value.status) == (code, status) and says in caught.value.message


@pytest.mark.parametrize(("document", "says"), [
    ({}, "a list 'sequenceStores'"),
    ({"sequenceStores": [{"name": "no id"}]}, "needs a string 'id'"),
    ({"sequenceStores": [{"id": "1", "readSets": [{"id": 5}]}]}, "read set needs a string 'id'"),
    ({"sequenceStores": [{"id": "1", "creationTime": "yesterday"}]}, "creationTime must be an ISO 8601 timestamp"),
])  # fmt: skip
def test_a_bad_seed_is_refused_naming_what_is_wrong(document: dict, says: str) -> None:
    with pytest.raises(OmicsError, match=None) as caught:
        OmicsStandIn().seed(document)
    assert says in caught.value.message


def test_every_operation_served_is_a_real_healthomics_operation() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("omics")
    assert set(model.operation_names) >= OPERATIONS


def test_reset_forgets_everything(omics: OmicsStandIn) -> None:
    omics.reset()
    with pytest.raises(OmicsError):
        omics.call("GetSequenceStore", {"id": STORE})
