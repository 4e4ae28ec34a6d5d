"""The load script end to end in its short mode: anvil, gunicorn with two workers and the single
`medcred worker`, 50 issue requests per second for 5 s, then verify-batch over everything issued.

Proves that the script and the gunicorn deployment path work (zero errors, every credential
anchored and VALID); the full 200/s x 60 s run is `benchmarks/load_issue.py` with no options.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.local]


def test_short_load_run_has_zero_errors_and_all_valid(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn (the production WSGI server) is not installed")
    figures_file = tmp_path / "figures.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "load_issue.py"),
            "--rate",
            "50",
            "--seconds",
            "5",
            "--json",
            str(figures_file),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    load = figures["load"]
    assert load["requests"] == 250 and load["ok"] == 250 and load["errors"] == 0, output
    assert load["statuses"] == {"201": 250}
    assert figures["missing"] == 0
    assert figures["anchored"].get("anchored") == figures["exported"] == 250 + 8  # + the warm-up
    assert figures["verify"]["exit_code"] == 0
    assert figures["verify"]["statuses"] == {"VALID": figures["exported"]}
    assert figures["all_valid"] and figures["ok"]
    assert "RESULT: OK" in output
