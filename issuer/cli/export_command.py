"""`medcred export`: one credential, or an institution's credentials in bulk.

    medcred export CREDENTIAL_ID [-o FILE]
    medcred export --institution SLUG [--state anchored|pending|revoked|all] [--since DATE]
                   (-o DIR [--certificates] | --jsonl FILE)

Bulk export reads the database only (no chain, no web3): rows come from issuer.bulk_export a page
at a time, so thousands of credentials per second go out in bounded memory, with a progress bar
on stderr. `-o DIR` writes DIR/<uuid>.json (DIR/<uuid>.pending.json for one not anchored yet: a
temporary file, as everywhere else; and DIR/<uuid>.pdf with --certificates); `--jsonl` writes one
credential per line (`-` for stdout). Both read back with `medcred verify-batch`. Nothing is
anchored first (no chain is needed): `medcred anchor` before, for permanent files only.
Heavy imports stay inside the command, so `medcred --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

import click

from verifier.settings import Settings


@click.command()
@click.argument("credential_id", required=False)
@click.option(
    "-o",
    "--output",
    metavar="FILE|DIR",
    help="One credential: the JSON file [default: stdout]. Bulk: the folder for <uuid>.json files.",
)
@click.option("--institution", "slug", metavar="SLUG", help="Export this institution's credentials in bulk.")
@click.option(
    "--state",
    type=click.Choice(["all", "anchored", "pending", "revoked"]),
    default="all",
    show_default=True,
    help="Bulk: anchored (not revoked), pending (not yet anchored, not revoked), revoked, or all.",
)
@click.option("--since", metavar="DATE", help="Bulk: only credentials issued on or after DATE (YYYY-MM-DD).")
@click.option(
    "--jsonl",
    metavar="FILE",
    help="Bulk: write JSON Lines (one credential per line) to FILE, or - for stdout.",
)
@click.option("--certificates", is_flag=True, help="Bulk with -o: also write each PDF certificate (slow).")
@click.pass_obj
def export(
    settings: Settings,
    credential_id: str | None,
    output: str | None,
    slug: str | None,
    state: str,
    since: str | None,
    jsonl: str | None,
    certificates: bool,
) -> None:
    """Print a credential as it is now, or export an institution's credentials in bulk.

    CREDENTIAL_ID (the UUID or the credential's URL) prints that credential, with its anchor proof
    once it is anchored. With --institution, every credential of the selection is written to a
    folder (-o DIR) or to a JSON Lines file (--jsonl FILE), with progress on stderr.
    """
    if slug is None:
        if credential_id is None:
            raise click.UsageError("Name a CREDENTIAL_ID, or --institution SLUG for a bulk export.")
        if jsonl or certificates or since or state != "all":
            raise click.UsageError("--jsonl, --state, --since and --certificates go with --institution.")
        _export_one(settings, credential_id, output)
        return
    if credential_id is not None:
        raise click.UsageError("Give either a CREDENTIAL_ID or --institution, not both.")
    if (output is None) == (jsonl is None):
        raise click.UsageError("A bulk export needs exactly one of -o DIR or --jsonl FILE.")
    if certificates and jsonl is not None:
        raise click.UsageError("--certificates goes with -o DIR (JSON Lines carry credentials only).")
    _export_bulk(settings, slug, state, since, output, jsonl, certificates)


def _export_one(settings: Settings, credential_id: str, output: str | None) -> None:
    from issuer.cli.issue_commands import TEMPORARY_NOTE, write_json  # noqa: PLC0415 - heavy: the service
    from issuer.cli.service_factory import open_service  # noqa: PLC0415

    record = open_service(settings).get_credential(credential_id)
    click.echo(f"Credential {record.id}: {record.state}, {record.revocation}.", err=True)
    if record.state != "anchored":
        click.secho(TEMPORARY_NOTE, fg="yellow", err=True)
    write_json(record.document, output)


def _export_bulk(
    settings: Settings,
    slug: str,
    state: str,
    since: str | None,
    folder: str | None,
    jsonl: str | None,
    certificates: bool,
) -> None:
    import json  # noqa: PLC0415
    import time  # noqa: PLC0415

    from tqdm import tqdm  # noqa: PLC0415

    from issuer.bulk_export import count_rows, export_rows, parse_since  # noqa: PLC0415
    from issuer.config import ServiceConfig  # noqa: PLC0415
    from issuer.storage.database import Database  # noqa: PLC0415

    config = ServiceConfig.from_settings(settings)
    db = Database(config.database_url)
    started = time.monotonic()
    try:
        moment = parse_since(since)
        total = count_rows(db, slug, state=state, since=moment)
        pending = [0]

        def counted() -> Any:
            for row in export_rows(db, slug, state=state, since=moment):
                pending[0] += row.state != "anchored"
                yield row

        rows = counted()
        progress = tqdm(total=total, unit="credential", desc="Exporting", file=_stderr(), disable=None)
        with progress:
            if jsonl is not None:
                written = _write_jsonl(rows, jsonl, progress)
                where = "stdout" if jsonl == "-" else jsonl
            else:
                assert folder is not None
                written = _write_folder(rows, Path(folder), progress, config, certificates, json, db)
                where = folder
    finally:
        db.dispose()
    seconds = time.monotonic() - started
    rate = f", {written / seconds:,.0f}/s" if seconds > 0 and written else ""
    click.echo(f"Exported {written} credential(s) of {slug} to {where} in {seconds:.1f} s{rate}.", err=True)
    if pending[0]:
        click.secho(
            f"{pending[0]} of them were not anchored yet: TEMPORARY files that verify as PENDING until "
            "anchored; run `medcred anchor` and export again for the permanent ones.",
            fg="yellow",
            err=True,
        )


def _stderr() -> IO[str]:
    return sys.stderr


def _write_jsonl(rows: Any, target: str, progress: Any) -> int:
    written = 0
    stream = sys.stdout if target == "-" else None
    try:
        handle = stream or Path(target).open("w", encoding="utf-8", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise click.FileError(target, exc.strerror) from None
    try:
        for row in rows:
            handle.write(row.json_line())
            handle.write("\n")
            written += 1
            progress.update(1)
    except OSError as exc:
        raise click.FileError(target, exc.strerror) from None
    finally:
        if stream is None:
            handle.close()
    return written


def _write_folder(
    rows: Any, folder: Path, progress: Any, config: Any, certificates: bool, json: Any, db: Any
) -> int:
    from issuer.record_certificate import stored_certificate_pdf  # noqa: PLC0415 - WeasyPrint: only if asked

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.FileError(str(folder), exc.strerror) from None
    written = 0
    for row in rows:
        try:
            name = f"{row.id}.json" if row.state == "anchored" else f"{row.id}.pending.json"
            (folder / name).write_text(
                json.dumps(row.document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            if certificates:
                base_url = config.public_base_url
                pdf = stored_certificate_pdf(row.document, row.id, base_url, revoked=row.revoked, db=db)
                (folder / f"{row.id}.pdf").write_bytes(pdf)
        except OSError as exc:
            raise click.FileError(str(folder / row.id), exc.strerror) from None
        written += 1
        progress.update(1)
    return written
