"""The README's step-by-step quick start runs as written (offline), command by command."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start, step by step", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README has no bash block under 'Quick start, step by step'"
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def test_readme_quick_start_runs(tmp_path: Path) -> None:
    commands = quick_start_commands()
    assert [c[0] for c in commands] == [".venv/bin/linkready"] * len(commands)
    env = {**os.environ, "LINKREADY_SECRET": "readme-test-secret"}
    bin_dir = Path(sys.executable).parent
    for argv in commands:
        argv = [str(bin_dir / "linkready"), *argv[1:]]
        proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, f"{shlex.join(argv[1:])} failed:\n{proc.stderr[-2000:]}"
    assert (tmp_path / "demo.duckdb").exists()
    assert (tmp_path / "linkage.json").stat().st_size > 0
