"""``switchboard content``: play WhatsApp's template review for a Content API template."""

from __future__ import annotations

import click

from switchboard.cli.connection import Server, client_command


def _decide(server: Server, sid: str, status: str, reason: str | None) -> None:
    answer = server.client.content_approval(sid, status, reason)
    whatsapp = answer["whatsapp"]
    why = f": {whatsapp['rejection_reason']}" if whatsapp.get("rejection_reason") else ""
    click.echo(f"{sid} {whatsapp['name']} ({whatsapp['category']}): {whatsapp['status']}{why}")


@click.group()
def content() -> None:
    """WhatsApp approval of Content API templates (HX...)."""


@content.command()
@click.argument("content_sid")
@client_command
def approve(server: Server, content_sid: str) -> None:
    """Approve CONTENT_SID for WhatsApp (submitting it first if it never was)."""
    _decide(server, content_sid, "approved", None)


@content.command()
@click.argument("content_sid")
@click.option("--reason", default=None, help="The rejection reason the API shows.")
@client_command
def reject(server: Server, content_sid: str, reason: str | None) -> None:
    """Reject CONTENT_SID for WhatsApp."""
    _decide(server, content_sid, "rejected", reason)
