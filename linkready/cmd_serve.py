"""``linkready serve`` and ``linkready users add|list|remove``: thin calls into :mod:`dashboard`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DB_OPTION = click.option(
    "--db", "db", type=click.Path(path_type=Path), default=Path("demo.duckdb"), show_default=True,
    help="The warehouse file; accounts live beside it in <db>.auth.sqlite.",
)


@click.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads of the waitress server.")
@click.option("--timeout", "channel_timeout", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds before an idle or slow connection is closed.")
@click.option("--connection-limit", default=200, show_default=True, type=click.IntRange(1, 10000),
              help="Most connections accepted at once.")
def serve(db: Path, host: str, port: int, threads: int, channel_timeout: int, connection_limit: int) -> None:
    """Serve the comparison dashboard for a warehouse (opened read-only) under waitress.

    The session cookie is marked Secure unless HOST is a loopback address; put a TLS proxy in front
    for any other address (or point any WSGI server at `dashboard.app:wsgi_app`, see docs/dashboard.md).
    The session secret comes from $LINKREADY_DASHBOARD_SECRET or a key file <db>.dashboard.key
    created on first use.
    """
    import dashboard

    settings = dashboard.DashboardSettings(host=host, prewarm=True, threads=threads, channel_timeout=channel_timeout,
                                           connection_limit=connection_limit)
    click.echo(f"Dashboard: http://{host}:{port}/  (warehouse {db}, read-only; waitress, {threads} threads; "
               "Ctrl+C to stop)")
    dashboard.serve(db, host=host, port=port, settings=settings)


@click.group()
def users() -> None:
    """Manage dashboard accounts (roles: researcher, site, admin)."""


def _password(prompt: bool) -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not prompt:
        return ""
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["researcher", "site", "admin"]), required=True, help="Account role.")
@click.option("--site", "site", default=None, help="The one site a `site` account may see (fbs, sat, leap, coda).")
@DB_OPTION
def users_add(name: str, role: str, site: str | None, db: Path) -> None:
    """Add an account; the password is prompted for (or read from one line of stdin). No default exists."""
    from dashboard import AccountStore, auth_path_for

    password = _password(prompt=True)
    account = AccountStore(auth_path_for(db)).add(name, role, site, password)
    scope = f"site {account.site}" if account.site else "all sites"
    click.echo(f"added {account.name} ({account.role}, {scope})")


@users.command("list")
@DB_OPTION
def users_list(db: Path) -> None:
    """List accounts (names, roles, sites; never passwords)."""
    from dashboard import AccountStore, auth_path_for

    accounts = AccountStore(auth_path_for(db)).list()
    if not accounts:
        click.echo("no accounts yet; add one with `linkready users add NAME --role researcher`")
    for acc in accounts:
        click.echo(f"{acc.name:<20} {acc.role:<10} {acc.site or 'all sites'}")


@users.command("remove")
@click.argument("name")
@DB_OPTION
def users_remove(name: str, db: Path) -> None:
    """Remove an account."""
    from dashboard import AccountStore, auth_path_for

    AccountStore(auth_path_for(db)).remove(name)
    click.echo(f"removed {name}")


COMMANDS = [serve, users]
