"""RDFC-1.0 escapes, byte for byte as the reference implementations write them.

- The W3C RDF canonicalization test suite's escaping case (test060, vendored in
  tests/vectors/rdf-canon with its source) through MedCred's canonicalizer.
- The same case through the reference JavaScript implementation (npm rdf-canonize), which proves
  the vendored expected output.
- A credential whose description holds U+000C and other control characters, signed by the
  reference JavaScript library: MedCred verifies it (it used to refuse it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyld.canon import URDNA2015

from credentials.helpers import VECTORS
from verifier.canonicalize import canonicalize_with_pyld, rdfc
from verifier.data_integrity import verify_proofs
from verifier.nquads import escape_iri, escape_literal

REPO = Path(__file__).resolve().parents[2]
CASE = VECTORS / "rdf-canon"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\([tbnrf\"'\\])")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_TERM = re.compile(r'\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?)')


def _unescape(text: str) -> str:
    return _UCHAR.sub(lambda m: chr(int(m[1] or m[2], 16)) if (m[1] or m[2]) else _ECHAR[m[3]], text)


def _term(token: str) -> dict:
    if token.startswith("<"):
        return {"type": "IRI", "value": _unescape(token[1:-1])}
    if token.startswith("_:"):
        return {"type": "blank node", "value": token}
    body, _, rest = token[1:].rpartition('"')
    literal = {"type": "literal", "value": _unescape(body), "datatype": XSD_STRING}
    if rest.startswith("^^<"):
        literal["datatype"] = _unescape(rest[3:-1])
    elif rest.startswith("@"):
        literal["datatype"] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
        literal["language"] = rest[1:]
    return literal


def parse_nquads(text: str) -> dict[str, list[dict]]:
    """A small, complete N-Quads reader for the test case (pyld's own does not unescape UCHARs)."""
    dataset: dict[str, list[dict]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        terms, position = [], 0
        while (match := _TERM.match(line, position)) is not None:
            terms.append(match[1])
            position = match.end()
        assert line[position:].strip() == ".", line
        triple = {"subject": _term(terms[0]), "predicate": _term(terms[1]), "object": _term(terms[2])}
        graph = _term(terms[3])["value"] if len(terms) == 4 else "@default"
        dataset.setdefault(graph, []).append(triple)
    return dataset


def test_w3c_test060_n_quads_escaping() -> None:
    dataset = parse_nquads((CASE / "test060-in.nq").read_text(encoding="utf-8"))
    canonical = URDNA2015().main(dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"})
    expected = (CASE / "test060-rdfc10.nq").read_bytes()
    assert canonical.encode("utf-8") == expected


def test_the_reference_implementation_gives_the_vendored_output() -> None:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "rdf-canonize").is_dir():
        pytest.skip("Node.js with npm's rdf-canonize (a dependency of jsonld, package.json) is needed")
    script = (
        "import canonize from 'rdf-canonize'; import fs from 'node:fs';"
        "const input = fs.readFileSync(process.argv[1], 'utf8');"
        "const out = await canonize.canonize(input, {algorithm: 'RDFC-1.0', inputFormat:"
        " 'application/n-quads', format: 'application/n-quads'});"
        "process.stdout.write(out);"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, str(CASE / "test060-in.nq")],
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == (CASE / "test060-rdfc10.nq").read_bytes()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("\x0c", "\\f"),
        ("\x00\x01\x1f", "\\u0000\\u0001\\u001F"),
        ("\x7f\x80\xa0", "\\u007F\x80\xa0"),
        ('\b\t\n\r"\\', '\\b\\t\\n\\r\\"\\\\'),
        ("∞🌃'", "∞🌃'"),
    ],
)
def test_literal_escapes(value: str, written: str) -> None:
    assert escape_literal(value) == written


def test_iri_escapes() -> None:
    assert escape_iri('https://x.example/a b<>"{}|^`\\\x00') == (
        "https://x.example/a\\u0020b\\u003C\\u003E\\u0022\\u007B\\u007D\\u007C\\u005E\\u0060\\u005C\\u0000"
    )


FOREIGN = json.loads((VECTORS / "foreign" / "fixtures.json").read_text(encoding="utf-8"))


def test_a_description_pasted_from_a_pdf_verifies() -> None:
    """U+000C, U+0000, U+0007, U+007F in a description, signed by the reference JS library."""
    credential = FOREIGN["credentials"]["eddsa-rdfc-2022_control-characters"]
    description = credential["credentialSubject"]["achievement"]["description"]
    assert "\x0c" in description and "\x00" in description and "\x7f" in description
    assert verify_proofs(credential).verified
    # both canonicalization paths (fastcanon hands such documents to pyld) agree
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    assert rdfc(unsigned) == canonicalize_with_pyld(unsigned)
    assert "\\f" in rdfc(unsigned)


def test_a_lone_surrogate_is_still_refused() -> None:
    credential = dict(FOREIGN["credentials"]["eddsa-rdfc-2022_did-key"])
    credential["name"] = "broken \ud800 text"
    result = verify_proofs(credential)
    assert result.code == "unsupported_character"
