"""``linkready synth`` as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LINKREADY = Path(sys.executable).parent / "linkready"


@pytest.mark.e2e
def test_synth_writes_a_drop(tmp_path: Path) -> None:
    out = tmp_path / "drop"
    run = subprocess.run([str(LINKREADY), "synth", "--out", str(out), "--children", "300", "--seed", "2",
                          "--dirty", "0.02"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["children"] == 300
    for f in manifest["files"]:
        assert (out / f["path"]).is_file()
    assert (out / "truth" / "defects.csv").is_file()
    assert "writing manifest" in run.stderr  # progress on stderr


@pytest.mark.e2e
@pytest.mark.parametrize("args", [["--children", "5"], ["--dirty", "0.9"], []])
def test_synth_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    cmd = [str(LINKREADY), "synth", *args] + (["--out", str(tmp_path / "x")] if args else [])
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
