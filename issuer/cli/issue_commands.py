"""`medcred issue`, `issue-batch`, `anchor`, `revoke`: the credential lifecycle (`export`: export_command)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from issuer.cli.service_factory import open_service, warn_if_a_server_issues_elsewhere
from issuer.issuance import RosterError
from verifier.settings import Settings

TEMPORARY_NOTE = (
    "TEMPORARY: not anchored yet. The file verifies as PENDING until anchored, then only while the "
    "issuer's server answers at its id; export it again (`medcred export ID`) once anchored for the "
    "permanent file."
)


def _anchored_documents(service: Any, slug: str, ids: list[str], wait: bool) -> dict[str, tuple[dict, bool]]:
    """{id: (document, temporary)}: the anchored form when `wait` and anchoring succeeds now (the
    default: files handed out are the permanent ones), else the pending form, marked temporary."""
    from verifier.errors import MedCredError  # noqa: PLC0415

    if wait:
        try:
            service.anchor_now(slug, timeout=120)
        except MedCredError as exc:
            click.secho(f"Could not anchor now ({exc}); the files are temporary.", fg="yellow", err=True)
    out = {}
    for credential_id in ids:
        record = service.get_credential(credential_id)
        out[credential_id] = (record.document, record.state != "anchored")
    return out


def write_json(document: dict[str, Any], output: str | None) -> None:
    """`document` as indented JSON to `output` (a file, or stdout for None or -)."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(str(path), exc.strerror) from None
    click.echo(f"Written to {path}.", err=True)


EMAIL_OPTION = click.option(
    "--email-claim/--no-email-claim",
    "deliver",
    default=None,
    help="E-mail each recipient a claim link once anchored [default: the institution's setting, on "
    "unless switched off].",
)
"""The per-request switch the API (`deliverByEmail`), rosters and admin forms have too."""


@click.command()
@click.option("--institution", "slug", required=True, metavar="SLUG", help="The issuing institution.")
@click.option("--achievement", metavar="ID", help="A catalog achievement (its id or URL).")
@click.option("--template", metavar="NAME", help="A built-in template instead: acls, pals, bls, cpd, ...")
@click.option(
    "--email", required=True, help="The recipient's e-mail (only its salted hash goes in the credential)."
)
@click.option("--name", help="The recipient's full name, shown unless the institution hides names.")
@click.option("--given-name", metavar="G", help="Given name (with --family-name, instead of --name).")
@click.option("--family-name", metavar="F", help="Family name.")
@click.option(
    "--valid-from", metavar="DATE", help="Start of validity: YYYY-MM-DD or ISO 8601 [default: now]."
)
@click.option(
    "--valid-until", metavar="DATE", help="End of validity [default: validFrom + the achievement's validity]."
)
@click.option("--credits", metavar="X", help="creditsEarned (at most the achievement's creditsAvailable).")
@click.option(
    "--result",
    "results",
    multiple=True,
    metavar="[NAME=]VALUE",
    help="A result, e.g. 92 or 'Written examination=92' or 'Skills test=pass' (repeatable).",
)
@click.option("--evidence", "evidence_urls", multiple=True, metavar="URL", help="Evidence URL (repeatable).")
@click.option("--evidence-narrative", metavar="TEXT", help="Evidence as a narrative.")
@click.option("--activity-start", metavar="DATE", help="When the activity started.")
@click.option("--activity-end", metavar="DATE", help="When the activity ended.")
@click.option(
    "--identifier", metavar="VALUE", help="An extra recipient identifier, e.g. a registration number."
)
@click.option(
    "--identifier-type",
    metavar="TYPE",
    help="Its Open Badges identity type [default: identifier], e.g. ext:GMCNumber.",
)
@click.option(
    "--allow-duplicate", is_flag=True, help="Issue even if this recipient already holds it (same day)."
)
@click.option("-o", "--output", metavar="FILE", help="Write the credential JSON here [default: stdout].")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Anchor it before writing it out (the permanent file); --no-wait writes the temporary, "
    "not-yet-anchored file at once.",
)
@EMAIL_OPTION
@click.pass_obj
def issue(
    settings: Settings,
    slug: str,
    achievement: str | None,
    template: str | None,
    email: str,
    output: str | None,
    allow_duplicate: bool,
    wait: bool,
    deliver: bool | None,
    **details: Any,
) -> None:
    """Issue one credential: signed now and, by default, anchored before it is written out.

    With --no-wait the worker (or `medcred anchor`) anchors it shortly after, and the file written
    is a temporary one (no anchor proof yet: PENDING until anchored, and then VALID only while the
    issuer's server answers at its id).

    Name the achievement with --achievement (the institution's catalog) or --template (a built-in
    starter). The other options are the per-credential data of Open Badges 3.0: creditsEarned,
    result, evidence, activity dates, validUntil and an extra identifier.
    """
    if bool(achievement) == bool(template):
        raise click.UsageError("Give either --achievement ID or --template NAME.")
    service = open_service(settings)
    warn_if_a_server_issues_elsewhere(service)
    issued = service.issue(
        slug,
        template,
        email,
        achievement=achievement,
        allow_duplicate=allow_duplicate,
        deliver=deliver,
        name=details.pop("name"),
        valid_from=details.pop("valid_from"),
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in details.items()},
    )
    document, temporary = _anchored_documents(service, slug, [issued.id], wait)[issued.id]
    if temporary:
        click.echo(f"Issued credential {issued.id} (pending anchoring).", err=True)
        click.secho(TEMPORARY_NOTE, fg="yellow", err=True)
    else:
        click.echo(f"Issued and anchored credential {issued.id}.", err=True)
    write_json(document, output)


@click.command("issue-batch")
@click.option("--institution", "slug", required=True, metavar="SLUG", help="The issuing institution.")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--template",
    "default_template",
    metavar="NAME",
    help="Achievement for rows without one: a catalog achievement (id, code or name) or a template.",
)
@click.option(
    "-o",
    "--output-dir",
    metavar="DIR",
    help="Write each credential to DIR/<id>.json, anchored first (DIR/<id>.pending.json: temporary).",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="With -o, anchor before writing (permanent files); --no-wait writes temporary ones at once.",
)
@click.option("--allow-partial", is_flag=True, help="Issue the valid rows even if other rows have errors.")
@click.option(
    "--allow-duplicates", is_flag=True, help="Issue rows already issued (same recipient, achievement, day)."
)
@EMAIL_OPTION
@click.pass_obj
def issue_batch(
    settings: Settings,
    slug: str,
    roster: str,
    default_template: str | None,
    output_dir: str | None,
    wait: bool,
    allow_partial: bool,
    allow_duplicates: bool,
    deliver: bool | None,
) -> None:
    """Issue a course roster from a CSV file.

    Header row required; names are case-insensitive and common ones are understood (First name,
    Last name, Course, Completion date, ...). Columns: email (required); achievement (alias course,
    template: a catalog achievement's id, humanCode or name, or a template; required unless
    --template); name, or given_name + family_name; valid_from; valid_until; credits; result
    ([NAME=]VALUE, several separated by ';'); evidence (URLs); evidence_narrative; activity_start;
    activity_end; identifier (e.g. a registration number); identifier_type. A column MedCred does
    not know is refused with the list of those it knows. Every row is checked first; if any is wrong
    or was already issued, each problem is listed with its row number and column and nothing is
    issued, unless --allow-partial (or --allow-duplicates).
    """
    with click.open_file(roster, "rb") as handle:
        data = handle.read()
    service = open_service(settings)
    warn_if_a_server_issues_elsewhere(service)
    errors, total = service.validate_roster(
        data, default_template=default_template, slug=slug, allow_duplicates=allow_duplicates
    )
    if errors:
        where = f"in {total} row(s)" if total else "in the header"
        click.secho(f"{len(errors)} problem(s) {where}:", fg="red", err=True)
        for error in errors:
            click.echo(f"  {error}", err=True)
        if not allow_partial:
            raise RosterError(errors, total)
    with click.progressbar(length=max(total, 1), label="Signing", file=sys.stderr) as bar:
        result = service.issue_roster(
            slug,
            data,
            allow_partial=allow_partial,
            default_template=default_template,
            progress=bar.update,
            allow_duplicates=allow_duplicates,
            deliver=deliver,
        )
    temporary = 0
    if output_dir:
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        documents = _anchored_documents(service, slug, [c.id for c in result.issued], wait)
        for credential_id, (document, pending) in documents.items():
            temporary += pending
            name = f"{credential_id}.pending.json" if pending else f"{credential_id}.json"
            (folder / name).write_text(
                json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    skipped = f"; {len({e.row for e in result.errors})} row(s) skipped" if result.errors else ""
    where = f" into {output_dir}" if output_dir else ""
    click.echo(f"Issued {len(result.issued)} credential(s){where}{skipped}.")
    if temporary:
        click.secho(f"{temporary} file(s) named <id>.pending.json are {TEMPORARY_NOTE}", fg="yellow")
    elif not output_dir:
        click.echo("The worker anchors them within a minute (or run `medcred anchor` now).")


@click.command()
@click.option("--institution", "slug", metavar="SLUG", help="Only this institution [default: all].")
@click.option("--timeout", default=300, show_default=True, help="Seconds to wait for confirmation.")
@click.pass_obj
def anchor(settings: Settings, slug: str | None, timeout: int) -> None:
    """Anchor every pending credential now and wait until the roots are confirmed on chain.

    Also finishes batches interrupted earlier and sends due on-chain revocations. If `medcred run`
    is running, it is asked to do it and this command waits for it.
    """
    service = open_service(settings)
    anchored = service.anchor_now(slug, timeout=timeout)
    if not anchored:
        click.echo("Nothing to anchor: every credential is already anchored.")
    for batch in anchored:
        check = "self-check ok" if batch.self_check == "ok" else f"SELF-CHECK FAILED: {batch.self_check}"
        click.echo(
            f"Anchored {batch.size} credential(s) of {batch.institution}: root {batch.root}, "
            f"tx {batch.tx_hash}, block {batch.block_number} ({check})."
        )


@click.command()
@click.argument("credential_id")
@click.option(
    "--reason",
    default="unspecified",
    show_default=True,
    help="Why: issued-in-error, superseded, misconduct, key-compromise, withdrawn, or any text.",
)
@click.pass_obj
def revoke(settings: Settings, credential_id: str, reason: str) -> None:
    """Revoke a credential: in the status list at once, and on the registry (after anchoring if needed)."""
    outcome = open_service(settings).revoke(credential_id, reason)
    click.echo(f"Credential {outcome.credential_id} revoked ({outcome.reason}); status list updated.")
    if outcome.on_chain == "revoked":
        click.echo(f"Revoked on the registry in transaction {outcome.tx_hash}.")
    elif outcome.on_chain == "after-anchoring":
        click.echo("It is not anchored yet: it will be revoked on the registry right after anchoring.")
    else:
        click.echo("The registry could not be reached: the worker retries the on-chain revocation.")
