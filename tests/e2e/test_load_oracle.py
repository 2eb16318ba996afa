"""The dirty-world oracle: `validate` finds every injected defect and flags nothing else.

Runs the real CLI: `synth --dirty 0.02` then `validate --json`, and compares with truth/defects.csv.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "linkready"


@pytest.mark.parametrize("seed", [5])
def test_validate_recall_and_precision_are_one(tmp_path: Path, seed: int) -> None:
    env = {**os.environ, "LINKREADY_SECRET": "oracle"}
    drop = tmp_path / "drop"
    subprocess.run([str(BIN), "synth", "--out", str(drop), "--seed", str(seed), "--children", "700",
                    "--dirty", "0.02"], check=True, capture_output=True, env=env, timeout=600)
    out = tmp_path / "problems.json"
    proc = subprocess.run([str(BIN), "validate", str(drop), "--json", str(out)], capture_output=True, text=True,
                          env=env, timeout=600)
    truth = list(csv.DictReader((drop / "truth" / "defects.csv").open(encoding="utf-8")))
    assert truth, "the generator injected no defects"
    assert proc.returncode == 1
    # linkready's own rules against the injected defects (the DfE rule set is tested on its own)
    problems = [p for p in json.loads(out.read_text())["problems"] if p["severity"] == "error" and p["dfe_rule"] is None]
    at: dict[tuple[str, int], set[str | None]] = {}
    for p in problems:
        at.setdefault((p["file"], p["row"]), set()).add(p["field"])
    missed = [d for d in truth
              if (d["file"], int(d["row"])) not in at or (d["field"] and d["field"] not in at[(d["file"], int(d["row"]))])]
    listed = {(d["file"], int(d["row"])) for d in truth}
    extra = sorted(k for k in at if k not in listed)
    assert not missed, f"recall < 1: {len(missed)} of {len(truth)} defects missed, e.g. {missed[:3]}"
    assert not extra, f"precision < 1: {len(extra)} unlisted rows flagged, e.g. {extra[:3]}"
