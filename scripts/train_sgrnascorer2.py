"""Train sgRNAScorer 2.0's linear SVM as Crackling does, and write its weights for the scorer.

    python -m venv /tmp/sk && /tmp/sk/bin/pip install scikit-learn
    /tmp/sk/bin/python scripts/train_sgrnascorer2.py     # writes tasks/crackling/data/sgrnascorer2/model.json

scikit-learn is needed only here (the scorer applies the weights itself); see the data folder's README for the
data's source and licence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.crackling.ontarget import SGRNASCORER2_DATA, sgrnascorer2_features  # noqa: E402


def main() -> int:
    from sklearn import __version__ as sklearn_version
    from sklearn.svm import SVC

    x, y = [], []
    for name, label in (("Cas9.High.tab", 1), ("Cas9.Low.tab", -1)):
        for line in (SGRNASCORER2_DATA / name).read_text().split():
            x.append(sgrnascorer2_features(line))
            y.append(label)
    model = SVC(kernel="linear").fit(x, y)
    out = {
        "weights": [round(float(w), 12) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 12),
        "trained_on": {"high": y.count(1), "low": y.count(-1)},
        "trainer": f"scikit-learn {sklearn_version} SVC(kernel='linear'), as Crackling's trainModel.py",
    }
    (SGRNASCORER2_DATA / "model.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"trained on {len(y)} guides: model.json written ({out['trainer']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
