"""The CLI contract: --help everywhere, usage errors exit 2, data errors exit 1 with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from linkready.cli import cli

BIN = Path(sys.executable).parent / "linkready"
EXPECTED = {"synth", "validate", "load", "link", "link-files", "serve", "users", "demo", "findings", "readiness", "purge"}


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        out.append((*prefix, name))
        if isinstance(command, click.Group):
            out.extend(_all_commands(command, (*prefix, name)))
    return out


def test_every_expected_command_is_registered() -> None:
    assert EXPECTED <= set(cli.commands)


@pytest.mark.parametrize("path", _all_commands(cli), ids=" ".join)
def test_help_on_every_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LINKREADY_SECRET": "cli-test"})


@pytest.mark.e2e
def test_usage_error_exits_2() -> None:
    proc = _run("no-such-command")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.e2e
def test_data_error_is_one_line_exit_1_and_debug_shows_traceback(tmp_path: Path) -> None:
    (tmp_path / "notadrop").mkdir()
    proc = _run("validate", str(tmp_path / "notadrop"))
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    # One line saying what was given, what is expected and where to read more (a real drop needs no manifest).
    assert len(lines) == 1 and lines[0].startswith("error:") and "no extract files found" in lines[0], proc.stderr
    assert "expected" in lines[0] and "docs/extract-drop.md" in lines[0]
    debug = _run("--debug", "validate", str(tmp_path / "notadrop"))
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr


def test_ctx_exit_code_propagates() -> None:
    # A command ending with ctx.exit(3) must make the process exit 3, not 0.
    from linkready.cli import main

    @cli.command("_exit3", hidden=True)
    @click.pass_context
    def _exit3(ctx: click.Context) -> None:
        ctx.exit(3)

    try:
        with pytest.raises(SystemExit) as info:
            main(["_exit3"])
        assert info.value.code == 3
    finally:
        cli.commands.pop("_exit3", None)
