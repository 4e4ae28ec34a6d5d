"""`medcred achievement create|list|show|new-version|retire|starters`: the institution's catalog.

Imports stay light at module level (click only): the service and its database layer are imported
inside each command, so `medcred achievement --help` stays fast.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import click

from verifier.settings import Settings

DEFINITION_HELP = """FILE.json holds {"achievement": {...}, "validity": "P2Y"}: the Open Badges 3.0
Achievement's name, description, criteria {narrative}, achievementType, and optionally
creditsAvailable, fieldOfStudy, humanCode, alignment, tag, inLanguage, resultDescription; validity
is an ISO 8601 duration (validUntil = validFrom + validity). "starter": "acls" starts from a
built-in template (see `medcred achievement starters`); a template file itself is accepted too."""


def _read_definition(path: str) -> Any:
    from verifier.errors import InputError  # noqa: PLC0415 - keep --help light

    try:
        with click.open_file(path, "r", encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}.") from None


def _read_image(path: str | None) -> tuple[bytes | None, str | None]:
    if path is None:
        return None, None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from None
    return data, mimetypes.guess_type(path)[0]


def _describe(info: Any) -> str:
    lines = [
        f"{info.name}",
        f"  id:        {info.url}",
        f"  version:   {info.version} ({info.state}; used by {info.used} credential(s))",
        f"  validity:  {info.validity or 'does not expire'}",
    ]
    if info.starter:
        lines.append(f"  starter:   {info.starter}")
    if info.current_id and info.current_id != info.id:
        lines.append(f"  current:   {info.current_id}")
    return "\n".join(lines)


@click.group()
def achievement() -> None:
    """The institution's achievement catalog: what it issues (Open Badges 3.0 Achievements)."""


@achievement.command("create", epilog=DEFINITION_HELP)
@click.option("--institution", "slug", required=True, metavar="SLUG", help="The institution.")
@click.argument("definition", metavar="FILE.json", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--image", metavar="FILE", type=click.Path(exists=True, dir_okay=False), help="PNG or SVG badge image."
)
@click.pass_obj
def create(settings: Settings, slug: str, definition: str, image: str | None) -> None:
    """Add an achievement to the catalog; prints its id (its public URL)."""
    from issuer.cli.service_factory import open_service  # noqa: PLC0415 - keep --help light

    data, media_type = _read_image(image)
    info = open_service(settings).create_achievement(
        slug, _read_definition(definition), image=data, image_type=media_type
    )
    click.echo(f"Created achievement {info.name!r} (version 1).", err=True)
    click.echo(info.url)


@achievement.command("list")
@click.option("--institution", "slug", required=True, metavar="SLUG", help="The institution.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per achievement).")
@click.pass_obj
def list_(settings: Settings, slug: str, as_json: bool) -> None:
    """The institution's achievements, the latest version of each, newest first."""
    from issuer.cli.service_factory import open_service  # noqa: PLC0415 - keep --help light
    from issuer.web.presenters import achievement_summary  # noqa: PLC0415

    infos = open_service(settings).list_achievements(slug)
    if as_json:
        click.echo(json.dumps([achievement_summary(i) for i in infos], indent=2, ensure_ascii=False))
        return
    if not infos:
        click.echo("No achievements yet: `medcred achievement create --institution SLUG FILE.json`.")
    for info in infos:
        click.echo(f"{info.id}  v{info.version}  {info.state:<10}  {info.name}")


@achievement.command("show")
@click.argument("achievement_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the Achievement JSON as credentials carry it.")
@click.pass_obj
def show(settings: Settings, achievement_id: str, as_json: bool) -> None:
    """One achievement version (ID is its UUID or URL)."""
    from issuer.cli.service_factory import open_service  # noqa: PLC0415 - keep --help light

    info = open_service(settings).get_achievement(achievement_id)
    if as_json:
        click.echo(json.dumps(info.document, indent=2, ensure_ascii=False))
        return
    click.echo(_describe(info))
    click.echo(json.dumps(info.document, indent=2, ensure_ascii=False))


@achievement.command("new-version", epilog=DEFINITION_HELP)
@click.argument("achievement_id", metavar="ID")
@click.argument("definition", metavar="FILE.json", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--image", metavar="FILE", type=click.Path(exists=True, dir_okay=False), help="A new PNG or SVG image."
)
@click.pass_obj
def new_version(settings: Settings, achievement_id: str, definition: str, image: str | None) -> None:
    """Make the next version of an achievement; prints its id. Credentials already issued keep
    the version they carry; new ones get this one. The image carries over unless --image."""
    from issuer.cli.service_factory import open_service  # noqa: PLC0415 - keep --help light

    data, media_type = _read_image(image)
    info = open_service(settings).new_achievement_version(
        achievement_id, _read_definition(definition), image=data, image_type=media_type
    )
    click.echo(f"Created version {info.version} of {info.name!r}.", err=True)
    click.echo(info.url)


@achievement.command("retire")
@click.argument("achievement_id", metavar="ID")
@click.pass_obj
def retire(settings: Settings, achievement_id: str) -> None:
    """Retire an achievement: no new credentials; those issued stay valid."""
    from issuer.cli.service_factory import open_service  # noqa: PLC0415 - keep --help light

    info = open_service(settings).retire_achievement(achievement_id)
    click.echo(f"Retired {info.name!r} ({info.url}).")


@achievement.command("starters")
@click.argument("name", required=False)
@click.pass_obj
def starters(settings: Settings, name: str | None) -> None:
    """The built-in templates to start from; with NAME, print that one as a definition to edit."""
    from issuer.cli.service_factory import open_service  # noqa: PLC0415 - keep --help light
    from verifier.errors import InputError  # noqa: PLC0415

    found = open_service(settings).starters()
    if name is None:
        for slug, starter in found.items():
            click.echo(f"{slug:<22} {starter['name']}")
        return
    if name not in found:
        raise InputError(f"There is no starter {name!r} (known: {', '.join(found)}).")
    starter = found[name]
    click.echo(
        json.dumps(
            {"starter": name, "validity": starter["validity"], "achievement": starter["achievement"]},
            indent=2,
            ensure_ascii=False,
        )
    )
