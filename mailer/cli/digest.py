"""``mailer digest``: the team's digest of new reactions per theme, now or as a dry run."""

from __future__ import annotations

import click

from .. import digest as digest_mod
from .base import get_runtime, main, stored_text
from .base import t as _t


@main.command("digest")
@click.option("--dry-run", is_flag=True, help="Print the next digest; send and record nothing.")
def digest_cmd(dry_run: bool) -> None:
    """Send the team's digest of reactions filed since the last digest, now.

    The digest lists new reactions per theme with counts, the opening of each reader's words and
    links into the team UI; it goes to [digest] recipients. 'mailer serve' sends it by itself on
    the [digest] schedule when [digest] enabled = true.

    \b
    Example:
      mailer digest --dry-run
      mailer digest
    """
    rt = get_runtime()
    if dry_run:
        click.echo(digest_mod.render_text(rt.config, digest_mod.preview(rt)), nl=False)
        return
    outcomes = digest_mod.send_now(rt)
    if not outcomes:
        click.echo(_t("No new reactions since the last digest: nothing sent."))
        return
    failed = False
    for o in outcomes:
        if o.sent:
            click.echo(_t("Digest %(id)s sent to %(to)s (reactions: %(count)s).", id=o.digest.id,
                          to=o.digest.recipients.replace(",", ", "), count=o.digest.reactions))
        else:
            failed = True
            click.echo(_t("Digest %(id)s not sent (%(error)s); it stays claimed and goes with the next "
                        "'mailer digest' or the service's next try.", id=o.digest.id, error=stored_text(o.error)), err=True)
    if failed:
        raise SystemExit(1)
