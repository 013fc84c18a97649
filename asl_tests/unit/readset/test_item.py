"""The read-set item builder: real response shapes, absent optional fields, archived read sets."""

from __future__ import annotations

import pytest

from tasks.readset.item import InvalidReadSetEvent, build_item, to_dynamodb

ARN = "arn:aws:omics:us-west-2:123456789012:sequenceStore/1234567890/readSet/3456789012"
EVENT_READ_SET = {"arn": ARN, "id": "3456789012", "sequenceStoreId": "1234567890"}
METADATA = {  # GetReadSetMetadata through Step Functions' aws-sdk integration (PascalCase)
    "Id": "3456789012", "Arn": ARN, "SequenceStoreId": "1234567890", "SubjectId": "SBJ001", "SampleId": "PRJ001",
    "Status": "ACTIVE", "Name": "NA12878", "Description": "WGS of NA12878", "FileType": "BAM",
    "CreationTime": "2023-04-04T17:50:00Z", "ReferenceArn": "arn:aws:omics:us-west-2:123456789012:referenceStore/1/reference/2",
    "Files": {
        "Source1": {"TotalParts": 3, "PartSize": 104857600, "ContentLength": 300000000,
                    "S3Access": {"S3Uri": "s3://store-access-point/readSet/3456789012/source1.bam"}},
        "Index": {"TotalParts": 1, "PartSize": 104857600, "ContentLength": 5000,
                  "S3Access": {"S3Uri": "s3://store-access-point/readSet/3456789012/index.bai"}},
    },
    "Etag": {"Algorithm": "BAM_MD5up", "Source1": "e1", "Index": "e3"},
}  # fmt: skip
STORE = {"Id": "1234567890", "Arn": "arn:aws:omics:us-west-2:123456789012:sequenceStore/1234567890", "Name": "prod",
         "CreationTime": "2023-01-01T00:00:00Z",
         "S3Access": {"S3Uri": "s3://store-access-point/", "S3AccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/ap"}}  # fmt: skip


def test_full_item() -> None:
    item = build_item(read_set=EVENT_READ_SET, event_time="2023-04-04T17:53:06Z", status="ACTIVE", metadata=METADATA,
                      tags={"Tags": {"project": "P1"}}, store=STORE)  # fmt: skip
    assert item == {
        "set_arn": ARN, "set_id": "3456789012", "set_status": "ACTIVE", "event_time": "2023-04-04T17:53:06Z",
        "set_name": "NA12878", "set_description": "WGS of NA12878", "set_type": "BAM", "set_sample_id": "PRJ001",
        "set_subject_id": "SBJ001", "set_reference_arn": METADATA["ReferenceArn"],
        "files": [
            {"file_type": "source1", "file_path": "s3://store-access-point/readSet/3456789012/source1.bam",
             "etag": "e1", "content_length": 300000000, "part_size": 104857600, "total_parts": 3},
            {"file_type": "index", "file_path": "s3://store-access-point/readSet/3456789012/index.bai",
             "etag": "e3", "content_length": 5000, "part_size": 104857600, "total_parts": 1},
        ],
        "store": {"store_id": "1234567890", "store_arn": STORE["Arn"], "store_name": "prod", "store_type": "sequence_store",
                  "store_uri": "s3://store-access-point/", "store_ap_arn": STORE["S3Access"]["S3AccessPointArn"]},
        "tags": {"project": "P1"},
    }  # fmt: skip
    assert "status" not in item, "one status attribute, not two"


def test_only_required_fields_present() -> None:
    minimal = {"Id": "3456789012", "Arn": ARN, "SequenceStoreId": "1234567890", "Status": "ACTIVE",
               "FileType": "FASTQ", "CreationTime": "2023-04-04T17:50:00Z"}  # fmt: skip
    item = build_item(read_set=EVENT_READ_SET, event_time="t", status="ACTIVE", metadata=minimal, tags={}, store={})
    assert item == {"set_arn": ARN, "set_id": "3456789012", "set_status": "ACTIVE", "event_time": "t",
                    "set_type": "FASTQ", "files": [], "store": {"store_id": "1234567890", "store_type": "sequence_store"},
                    "tags": {}}  # fmt: skip
    assert None not in to_dynamodb(item).values()


def test_archived_read_set_from_a_list_entry_has_no_file_information() -> None:
    listed = {"Arn": ARN, "Id": "3456789012", "SequenceStoreId": "1234567890", "Status": "ARCHIVED", "Name": "old",
              "FileType": "FASTQ", "SampleId": "S", "SubjectId": "X"}  # fmt: skip
    item = build_item(read_set=listed, event_time="t", status="ARCHIVED", tags={"Tags": {"a": "b"}}, store=STORE)
    assert "files" not in item
    assert (item["set_name"], item["set_subject_id"], item["set_status"]) == ("old", "X", "ARCHIVED")


def test_numbers_stay_numbers_in_dynamodb_json() -> None:
    typed = to_dynamodb({"set_arn": ARN, "files": [{"content_length": 5, "ratio": 0.5}]})
    assert typed["files"] == {"L": [{"M": {"content_length": {"N": "5"}, "ratio": {"N": "0.5"}}}]}


@pytest.mark.parametrize("missing", ["arn", "id", "sequenceStoreId"])
def test_a_read_set_without_identity_is_refused(missing: str) -> None:
    read_set = {k: v for k, v in EVENT_READ_SET.items() if k != missing}
    with pytest.raises(InvalidReadSetEvent, match=missing):
        build_item(read_set=read_set, event_time="t", status="ACTIVE")
