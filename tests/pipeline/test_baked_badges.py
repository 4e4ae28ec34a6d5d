"""`medcred verify badge.png|svg`: Open Badges 3.0 baked images (verifier.baked) on anvil.

Baked by the issuer's code (issuer.badges), read back by the verifier's; an independent reader
(Pillow's PNG text chunks, lxml for SVG) sees the same credential; a tampered credential inside
a badge is INVALID; images that carry nothing, or are damaged, say so."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image

from issuer.badges import baked_png, baked_svg, default_png
from issuer.chain.backends import open_chain
from verifier.baked import OB_NAMESPACE, BakedImageError, bake_png, extract_credential
from verifier.cli import _load_plugins, cli
from verifier.config import TrustedRegistry, render_config

from .world import World

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def local_world(anvil_node: tuple[Path, str]) -> World:
    return World.create(open_chain("local", anvil_node[0]))


@pytest.fixture(scope="module")
def trust_file(
    local_world: World, anvil_node: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    registry = TrustedRegistry(
        "Local test registry", local_world.chain.chain_id, local_world.address, anvil_node[1]
    )
    path = tmp_path_factory.mktemp("trust") / "verifier.toml"
    path.write_text(render_config([registry]))
    return path


@pytest.fixture(scope="module")
def credentials(local_world: World) -> list[dict[str, Any]]:
    return local_world.issue_anchored(local_world.institution("Baking School of Nursing"), 2)


def verify(trust_file: Path, path: Path) -> Any:
    _load_plugins()
    return CliRunner().invoke(cli, ["verify", "--config", str(trust_file), str(path), "--json"])


def test_a_baked_png_verifies_and_pillow_reads_the_credential(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    badge = tmp_path / "badge.png"
    badge.write_bytes(baked_png(credentials[0], None))
    with Image.open(badge) as image:  # an independent PNG reader
        assert json.loads(image.text["openbadgecredential"]) == credentials[0]
        assert image.size == (512, 512)
    result = verify(trust_file, badge)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "VALID"


def test_a_baked_svg_verifies_and_lxml_finds_the_element(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    svg = baked_svg(credentials[1], None)
    root = etree.fromstring(svg.encode("utf-8"))
    first = root[0]
    assert first.tag == f"{{{OB_NAMESPACE}}}credential"  # directly after the <svg> start tag
    assert json.loads(first.text) == credentials[1]
    assert "<![CDATA[" in svg
    badge = tmp_path / "badge.svg"
    badge.write_text(svg, encoding="utf-8")
    result = verify(trust_file, badge)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "VALID"


def test_a_badge_whose_credential_was_tampered_with_is_invalid(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    forged = copy.deepcopy(credentials[0])
    forged["credentialSubject"]["achievement"]["name"] = "Neurosurgery Fellowship"
    for name, body in (
        ("forged.png", bake_png(default_png("x"), json.dumps(forged))),
        ("forged.svg", baked_svg(forged, None).encode("utf-8")),
    ):
        path = tmp_path / name
        path.write_bytes(body)
        result = verify(trust_file, path)
        assert result.exit_code == 1, (name, result.output)
        report = json.loads(result.output)
        assert report["status"] == "INVALID"
        assert "signature" in {c["name"] for c in report["checks"] if c["status"] == "fail"}


def test_images_without_a_credential_or_damaged_say_so(trust_file: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    plain.write_bytes(default_png("Plain"))
    result = verify(trust_file, plain)
    assert result.exit_code != 0
    assert "not a baked badge" in result.output
    damaged = bytearray(baked_png({"a": 1}, None))
    damaged[40] ^= 0xFF  # breaks a chunk's CRC
    with pytest.raises(BakedImageError, match="damaged"):
        extract_credential(bytes(damaged))
    bomb = tmp_path / "bomb.svg"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    )
    result = verify(trust_file, bomb)
    assert result.exit_code != 0
    assert "not safe to read" in result.output


def test_verify_batch_reads_a_badge_named_on_the_command_line(
    trust_file: Path, credentials: list[dict[str, Any]], tmp_path: Path
) -> None:
    badge = tmp_path / "badge.png"
    badge.write_bytes(baked_png(credentials[0], None))
    report = tmp_path / "report.json"
    _load_plugins()
    result = CliRunner().invoke(
        cli,
        [
            "verify-batch",
            "--config",
            str(trust_file),
            "--quiet",
            "--workers",
            "1",
            str(badge),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text())
    rows = rows["credentials"] if isinstance(rows, dict) else rows
    assert [r["status"] for r in rows] == ["VALID"]
