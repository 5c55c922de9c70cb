"""A plain (non-editable) install carries the schemas: the wheel is self-contained."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import EXAMPLES, PROJECT


def test_the_wheel_lints_flows_with_its_own_schema(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            tmp_path,
            PROJECT,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("callflow-*.whl")
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "flows/schemas/flow.schema.json" in archive.namelist()
        archive.extractall(unpacked)
    script = (
        "import sys, flows; from runner.cli import main\n"
        "print(flows.schema_file('flow.schema.json'))\n"
        "sys.exit(main(['lint', sys.argv[1]]))\n"
    )
    # PYTHONPATH comes before site-packages, so the unpacked wheel wins over the
    # editable install of the source tree.
    ran = subprocess.run(
        [sys.executable, "-c", script, EXAMPLES / "appointment-reminder.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(unpacked)},
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    schema_path, summary = ran.stdout.splitlines()
    assert Path(schema_path) == unpacked / "flows" / "schemas" / "flow.schema.json"
    assert summary == "checked 1 file: no problems"
