"""EDP's pure parts: the recorder's routing expression (evaluated with jsonata-python, as LocalStack does), the
ignore globs, package names, the files EDP adds, and metadata validation."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonata
import pytest

from aslkit.errors import SpecError
from tasks.edp.packager import metadata, package_name, readme, summarize, validate
from workflows import edp

DATA = Path(__file__).resolve().parents[1] / "data" / "edp"
NAMES = {"edp_landing_bucket_name": "landing", "edp_archive_bucket_name": "archive",
         **edp.WORKFLOW.local_parameters()}  # the workflow's defaults: depth, ignores, thresholds  # fmt: skip


def route(bucket: str, key: str, kind: str = "Object Created") -> dict:
    """The recorder's `Read event` assignment, with deploy-time placeholders filled, on a fixture-shaped event."""
    document = json.loads(edp.RECORDER.to_json())
    expression = document["States"]["Valid event?"]["Choices"][0]["Next"]
    assert expression == "Read event"
    text = document["States"]["Read event"]["Assign"]["e"]
    text = re.sub(r"\$\{(\w+)\}", lambda m: NAMES[m.group(1)], text)[2:-2]
    event = copy.deepcopy(json.loads((DATA / "s3_object_created.event.json").read_text()))
    event["detail"]["bucket"]["name"], event["detail"]["object"]["key"], event["detail-type"] = bucket, key, kind
    # LocalStack binds $states.input like this; jsonata-python evaluates the same text.
    return jsonata.Jsonata(f"($states := {{'input': {json.dumps(event)}}}; {text})").evaluate(None)


@pytest.mark.parametrize(
    ("bucket", "key", "prefix", "reason"),
    [
        ("landing", "runs/R1/L001/a.fastq.gz", "runs/R1/", None),
        ("landing", "runs/R1/a.fastq.gz", "runs/R1/", None),
        ("landing", "runs/a.fastq.gz", "runs/", None),  # fewer segments than the depth
        ("landing", "top.txt", "", "key top.txt is at the bucket root: no prefix to batch under"),
        ("landing", "raw/R1/x.bcl", "raw/R1/", "key raw/R1/x.bcl is under an ignored prefix"),
        ("landing", "scratch/tmp", "scratch/", "key scratch/tmp is under an ignored prefix"),
        ("landing", "rawdata/R1/x", "rawdata/R1/", None),  # `raw/*` is not `raw*`
        ("landing", "my+run/R%C3%A9sum%C3%A9+1/a%2Bb.txt", "my run/Résumé 1/", None),  # URL-encoded by S3
        ("archive", "2026/11/22/report.pdf", "2026/", None),  # depth 1
        ("other", "runs/R1/a", "", "bucket other is not monitored"),
    ],
)
def test_routing_settles_prefix_depth_encoding_and_ignores(bucket: str, key: str, prefix: str, reason: str) -> None:
    routed = route(bucket, key)
    assert routed["prefix"] == prefix
    assert routed.get("reason") == reason
    if reason is None:
        assert routed["batch_id"] == f"{bucket}/{prefix}"
        expected = {"landing": (20, 300), "archive": (50, 600)}[bucket]
        assert (routed["count"], routed["quiet"]) == expected


def test_event_id_is_bucket_key_and_sequencer() -> None:
    routed = route("landing", "runs/R1/a+b.txt")
    assert routed["event_id"] == "landing/runs/R1/a b.txt#006408CAD69598B05E"
    assert routed["kind"] == "Object Created" and routed["time"] == "2023-03-08T17:50:14Z"


def test_ignore_globs_become_one_anchored_regex() -> None:
    assert edp.ignore_regex(("raw/*", "tmp?/*.part", "a.b/*")) == "/^(raw/.*|tmp./.*[.]part|a[.]b/.*)$/"
    assert edp.ignore_regex(()) == "/^(?!)/", "no globs: a regex no key matches"
    assert edp.Monitored(edp.landing, ignore_prefixes=("raw/*",)).defaults()["edp_landing_ignore"] == "/^(raw/.*)$/"
    with pytest.raises(SpecError, match="use \\* and \\? only"):
        edp.ignore_regex(("runs/[ab]/*",))


def test_package_names_and_added_files() -> None:
    assert package_name("runs/R1/") == "runs/R1"
    assert package_name("runs/") == "edp/runs"
    assert package_name("a/b c/d/") == "a/b_c_d"
    assert summarize(["data.csv", "reads.bam", "README.md", "report.html"]) == ["README.md", "data.csv", "report.html"]
    text = readme("runs/R1", "landing", "runs/R1/", [f"f{i}" for i in range(60)])
    assert text.startswith("# runs/R1\n") and "(60 objects)" in text and "… 10 more" in text


def test_metadata_validation_names_each_problem() -> None:
    detail = {"bucket": "landing", "prefix": "runs/R1/", "epoch": 2, "window": {"first": "t0", "last": "t1"}}
    good = metadata(detail, ["a", "b"], {"project": "PRJ00123", "contact": "lab@example.org"})
    assert validate(good) == [] and good["edp"]["objects"] == 2 and good["project"] == "PRJ00123"
    bad = metadata(detail, ["a"], {"project": "not a project id", "contact": "nobody", "keywords": ["x", "x"]})
    errors = validate(bad)
    assert errors[0].startswith("contact: 'nobody' does not match")
    assert any(e.startswith("keywords: ['x', 'x'] has non-unique elements") for e in errors)
    assert any(e.startswith("project: 'not a project id' does not match") for e in errors)
    assert validate(metadata(detail, [], ["not", "an", "object"])) == [
        "producer_metadata: metadata.json must hold a JSON object, not ['not', 'an', 'object']"
    ]
    assert validate({"edp": {"bucket": "bkt", "prefix": "no-slash", "objects": 1}})[0].startswith("edp/prefix:")
