"""The ``linkready`` command: one group, subcommands discovered from ``linkready.cmd_*`` modules.

Each ``cmd_*`` module exposes ``COMMANDS`` (a list of click commands or groups); each command is a
thin call into a package function. Library errors become a one-line message and exit code 1
(a traceback only with ``--debug``); usage errors exit 2 (click's convention).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

import click

from warehouse import LinkreadyError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.option("-v", "--verbose", count=True, help="More log output (counts and timings only, never values).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int) -> None:
    """linkready: can we link and evaluate what these services hold?

    Synthetic data, a DuckDB warehouse, linkage feasibility, focus-group synthesis, evaluation
    readiness and a comparison dashboard for children's social care and domestic-abuse services.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register_commands() -> None:
    import linkready

    for mod in sorted(pkgutil.iter_modules(linkready.__path__), key=lambda m: m.name):
        if mod.name.startswith("cmd_"):
            module = importlib.import_module(f"linkready.{mod.name}")
            for command in getattr(module, "COMMANDS", []):
                cli.add_command(command)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``linkready`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = cli.main(args=args, prog_name="linkready", standalone_mode=False)
        # Without standalone mode click *returns* the code of ctx.exit(n) instead of exiting.
        if isinstance(rv, int) and rv != 0:
            sys.exit(rv)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except LinkreadyError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
