"""A container job's entry point for the engine's tests: records what it was run with, then exits as asked.

python -m asl_tests.engine.container_job --out PATH --exit CODE
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--exit", type=int, default=0)
    args = parser.parse_args()
    runs = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else []
    runs.append({"argv": sys.argv[1:], "attempt": os.environ["AWS_BATCH_JOB_ATTEMPT"],
                 "setting": os.environ.get("SETTING"), "override": os.environ.get("OVERRIDE")})  # fmt: skip
    Path(args.out).write_text(json.dumps(runs))
    print(f"attempt {os.environ['AWS_BATCH_JOB_ATTEMPT']} exits {args.exit}")
    if args.exit == 99:
        raise RuntimeError("the job's code broke")
    return args.exit


if __name__ == "__main__":
    raise SystemExit(main())
