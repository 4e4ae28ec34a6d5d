"""`medcred verify`, `medcred verify-batch` and `medcred verify-server`.

Exit codes: 0 VALID (every credential valid, for a batch), 1 INVALID (any invalid), 2 usage or I/O
errors (unreadable file, bad configuration), 3 PENDING (signed and confirmed by its issuer, not yet
recorded on the registry), 4 SUSPENDED; for a batch, the most severe verdict present.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from verifier.batch import ReportWriter, Tally, count_items, iter_items, verify_stream
from verifier.config import ConfigError, VerifierConfig, load_config
from verifier.dates import ISSUED, VALID_FROM, VALID_UNTIL, human_date
from verifier.errors import InputError
from verifier.pipeline import Verifier
from verifier.presentation import PresentationReport, verify_submission
from verifier.report import INVALID, PENDING, SUSPENDED, VALID, CheckStatus, Report
from verifier.settings import Settings
from verifier.sources import credential_url_from_link, decode_qr, read_source
from verifier.urls import MalformedURLError

EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_PENDING, EXIT_SUSPENDED = 0, 1, 2, 3, 4
EXIT_CODES = {VALID: EXIT_VALID, INVALID: EXIT_INVALID, PENDING: EXIT_PENDING, SUSPENDED: EXIT_SUSPENDED}
"""Each verdict's exit code (the contract in DESIGN.md)."""
SEVERITY = (INVALID, SUSPENDED, PENDING, VALID)
"""Most severe first, as `Report.status` ranks them: verify-batch exits with the worst present."""
STATUS_COLOURS = {VALID: "green", INVALID: "red", SUSPENDED: "magenta", PENDING: "yellow"}


def exit_code(statuses: set[str]) -> int:
    """The exit code for the verdicts of a run: the most severe one's (nothing verified: INVALID)."""
    worst = next((s for s in SEVERITY if s in statuses), INVALID)
    return EXIT_CODES.get(worst, EXIT_INVALID)


_MARKS = {
    CheckStatus.PASS: ("✔", "green"),
    CheckStatus.FAIL: ("✘", "red"),
    CheckStatus.WARN: ("!", "yellow"),
    CheckStatus.SKIPPED: ("-", None),
    CheckStatus.SUSPENDED: ("⏸", "magenta"),
    CheckStatus.PENDING: ("…", "yellow"),
}

config_option = click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Trust configuration (TOML): the registries, trusted issuers and trust lists to believe. "
    "Default: $MEDCRED_VERIFIER_CONFIG, DATA_DIR/verifier.toml, then ~/.config/medcred/verifier.toml.",
)


def _config(settings: Settings, path: str | None, *, require_trust: bool = True) -> VerifierConfig:
    """The verifier configuration. With nothing trusted at all (no registry, trusted issuer or
    trust list) every issuer would be "not trusted": `verify` and `verify-batch` cannot check
    anything, so they stop with exit code 2 (`require_trust`); the server only warns."""
    config = load_config(path, settings.data_dir)
    if not config.trusts_anything:
        where = f" in {config.source}" if config.source else " (no configuration file was found)"
        message = (
            f"Cannot check: no trusted registry, [[trusted_issuer]] or [[trust_list]] is configured{where}. "
            "Give one with --config FILE, $MEDCRED_VERIFIER_CONFIG or DATA_DIR/verifier.toml."
        )
        if require_trust:
            raise ConfigError(message)
        click.secho(f"Warning: {message}", err=True, fg="yellow")
    return config


def print_report(report: Report) -> None:
    colour = STATUS_COLOURS.get(report.status, "yellow")
    click.secho(f"{report.status}: {report.headline}", fg=colour, bold=True)
    summary = report.summary
    rows = [
        ("Holder", summary.holder_name),
        ("Achievement", summary.achievement),
        ("Issuer", summary.issuer_name),
        (ISSUED, human_date(summary.issued)),
        (VALID_FROM, human_date(summary.valid_from)),
        (VALID_UNTIL, human_date(summary.valid_until)),
        ("Credential", summary.credential_id),
        ("Anchored", f"block {summary.block_number}, {summary.anchored_at}" if summary.anchored_at else None),
    ]
    for label, value in rows:
        if value:
            click.echo(f"  {label + ':':<12} {value}")
    click.echo("")
    for check in report.checks:
        mark, fg = _MARKS[check.status]
        click.echo(click.style(f"  {mark} ", fg=fg) + f"{check.label:<16} {check.message}")


def print_presentation(report: PresentationReport) -> None:
    """The presentation's verdict, its holder and own checks, then each credential's report."""
    colour = STATUS_COLOURS.get(report.status, "yellow")
    click.secho(f"{report.status}: {report.headline}", fg=colour, bold=True)
    click.echo(f"  {'Holder:':<12} {report.holder or 'not named'}")
    click.echo(f"  {'Credentials:':<12} {len(report.credentials)}")
    click.echo("")
    for check in report.checks:
        mark, fg = _MARKS[check.status]
        click.echo(click.style(f"  {mark} ", fg=fg) + f"{check.name:<14} {check.message}")
    for index, presented in enumerate(report.credentials, start=1):
        click.echo("")
        click.secho(f"Credential {index} of {len(report.credentials)}", bold=True)
        print_report(presented.report)


@click.command()
@click.argument("source", required=False)
@click.option(
    "--qr",
    "qr_image",
    metavar="IMAGE|PDF",
    help="Read the credential link from the QR code in a photo, a scan, or a PDF certificate.",
)
@click.option(
    "--recipient", metavar="EMAIL", help="Also check that the credential was issued to this e-mail."
)
@click.option(
    "--challenge",
    metavar="C",
    help="For a presentation: the challenge you gave the holder; its proof must carry it.",
)
@click.option(
    "--domain",
    metavar="D",
    help="For a presentation: your domain, as you gave it to the holder; its proof must carry it.",
)
@click.option("--json", "as_json", is_flag=True, help='Print the report as JSON with a top-level "status".')
@config_option
@click.pass_obj
def verify(
    settings: Settings,
    source: str | None,
    qr_image: str | None,
    recipient: str | None,
    challenge: str | None,
    domain: str | None,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Verify one credential or presentation: SOURCE is a file, a URL, or '-' for standard input.

    A Verifiable Presentation (a holder's signed bundle of credentials) is checked with
    --challenge and --domain, and every credential in it gets the full checks.

    Exit code 0 means VALID, 1 INVALID, 3 PENDING (signed and confirmed by its issuer, not yet
    recorded on the registry: not valid yet), 4 SUSPENDED (the issuer suspended it for now), 2 that
    the input or configuration could not be used.
    """
    ctx = click.get_current_context()
    if (source is None) == (qr_image is None):
        raise click.UsageError("Give either SOURCE or --qr IMAGE|PDF.")
    config = _config(settings, config_path)
    if qr_image is not None:
        link = decode_qr(qr_image)
        try:
            source = credential_url_from_link(link)
        except MalformedURLError:
            raise InputError(f"The QR code does not hold a credential link: {link[:100]!r}.") from None
    assert source is not None
    data = read_source(source, allow_network=config.fetch_credentials, fetcher=config.fetcher())
    report = verify_submission(
        Verifier(config), data, challenge=challenge, domain=domain, recipient=recipient, source=source
    )
    if (challenge or domain) and not isinstance(report, PresentationReport):
        click.secho("Note: --challenge and --domain apply to presentations only.", err=True, fg="yellow")
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif isinstance(report, PresentationReport):
        print_presentation(report)
    else:
        print_report(report)
    ctx.exit(EXIT_CODES.get(report.status, EXIT_INVALID))


@click.command("verify-batch")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=lambda: min(os.cpu_count() or 1, 8),
    show_default="number of CPUs",
    help="Worker processes.",
)
@click.option(
    "--report", "report_path", metavar="FILE", help="Write one row per credential to FILE.csv or FILE.json."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@config_option
@click.pass_obj
def verify_batch(
    settings: Settings,
    paths: tuple[str, ...],
    workers: int,
    report_path: str | None,
    quiet: bool,
    config_path: str | None,
) -> None:
    """Verify many credentials: folders, .json (one or an array), .jsonl, .zip, and .csv files of URLs.

    Prints a summary (each verdict, invalid by reason, warnings by kind); --report writes every row
    (holder, achievement, issuer, trust, validity, first failure, every warning). Exit code 0 if all
    are VALID, 1 if any is INVALID, else 4 if some are SUSPENDED, else 3 if some are PENDING; 2 for
    usage errors.
    """
    ctx = click.get_current_context()
    missing = [path for path in paths if not Path(path).exists()]
    if missing:  # a mistyped argument is a usage error (exit 2), not an INVALID credential
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InputError(f"No such file or folder: {shown}. Nothing was verified.")
    config = _config(settings, config_path)
    writer = ReportWriter(Path(report_path)) if report_path else None
    tally = Tally()
    started = time.monotonic()
    progress = _progress(quiet, None if quiet else count_items(paths))
    try:
        for row in verify_stream(iter_items(paths), config, workers=workers):
            tally.add(row)
            if writer is not None:
                writer.write(row)
            progress.update(1)
            if row.status != VALID:
                progress.set_postfix(invalid=tally.invalid, refresh=False)
    finally:
        progress.close()
        if writer is not None:
            writer.close()
    elapsed = time.monotonic() - started
    _print_summary(tally, elapsed, report_path)
    ctx.exit(exit_code({status for status, count in tally.by_status.items() if count}))


def _progress(quiet: bool, total: int | None):
    from tqdm import tqdm  # noqa: PLC0415 - only batch mode draws a bar

    return tqdm(
        total=total,
        unit=" cred",
        file=sys.stderr,
        disable=quiet,
        dynamic_ncols=True,
        mininterval=0.25,
        bar_format=(
            "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]{postfix}"
            if total
            else "{n_fmt} verified [{elapsed}, {rate_fmt}]{postfix}"
        ),
    )


def _print_summary(tally: Tally, elapsed: float, report_path: str | None) -> None:
    rate = tally.total / elapsed if elapsed > 0 else 0.0
    click.echo(f"\n{tally.total:,} credentials in {elapsed:.1f} s ({rate:,.0f}/s)")
    click.secho(f"  {'VALID':<40}{tally.valid:>10,}", fg="green")
    for status, count in sorted(tally.by_status.items()):
        if status not in (VALID, INVALID):  # SUSPENDED, PENDING: not valid, not invalid
            click.secho(f"  {status:<40}{count:>10,}", fg=STATUS_COLOURS.get(status, "yellow"))
    click.secho(f"  {'INVALID':<40}{tally.invalid:>10,}", fg="red" if tally.invalid else None)
    for reason, count in tally.reasons.most_common():
        click.echo(f"    {reason:<38}{count:>10,}")
    click.secho(
        f"  {'with warnings':<40}{tally.with_warnings:>10,}", fg="yellow" if tally.with_warnings else None
    )
    for kind, count in tally.warnings.most_common():
        click.echo(f"    {kind:<38}{count:>10,}")
    if report_path:
        click.echo(f"Report: {report_path}")


@click.command("verify-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="0: any free.")
@config_option
@click.pass_obj
def verify_server(settings: Settings, host: str, port: int, config_path: str | None) -> None:
    """Serve the verifier page and the VC-API verify endpoint on their own (waitress, until Ctrl-C)."""
    from verifier.web.app import create_app  # noqa: PLC0415 - Flask is the 'web' extra
    from verifier.web.server import serve_verifier  # noqa: PLC0415

    config = _config(settings, config_path, require_trust=False)
    app = create_app(config)
    serve_verifier(app, host, port, on_ready=lambda url: click.echo(f"MedCred verifier on {url}/verify"))
    click.echo("Stopped.")


def register(root: click.Group) -> None:
    for command in (verify, verify_batch, verify_server):
        root.add_command(command)
