#!/usr/bin/env bash
# checkov's IAM and S3 checks over a synthesized stage (not part of `make test`: checkov pins a boto3 older than the
# project's, so it gets a venv of its own under build/). Prints every failed IAM or S3 check; exit 1 if any.
#   bash scripts/checkov-iam-s3.sh [STAGE]
set -euo pipefail
stage="${1:-dev}"
venv=build/checkov-venv
out=build/cdk.out.checkov
[ -x "$venv/bin/checkov" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet checkov; }
rm -rf "$out"
(cd infra && CDK_OUTDIR="../$out" CDK_CONTEXT_JSON="{\"stage\": \"$stage\"}" JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 \
  ../.venv/bin/python app.py >/dev/null 2>&1)
"$venv/bin/checkov" -d "$out" --framework cloudformation --compact --quiet --skip-download -o json \
  >"$out/checkov.json" 2>"$out/checkov.log" || true
python3 - "$out/checkov.json" <<'PY'
import json, sys
reports = json.load(open(sys.argv[1]))
reports = reports if isinstance(reports, list) else [reports]
# checkov's checks of IAM wildcards and S3 access (CKV_AWS_107-111, 355/356: IAM; S3 policies and ACLs)
IAM_S3 = {"CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111", "CKV_AWS_355", "CKV_AWS_356",
          "CKV_AWS_70", "CKV_AWS_20", "CKV_AWS_57", "CKV_AWS_56", "CKV_AWS_55", "CKV_AWS_54", "CKV_AWS_53"}
failed = [f for r in reports for f in r.get("results", {}).get("failed_checks", []) if f["check_id"] in IAM_S3]
for f in failed:
    print(f"{f['check_id']} {f['file_path']} {f['resource']}: {f['check_name']}")
print(f"{len(failed)} IAM/S3 finding(s)")
sys.exit(1 if failed else 0)
PY
