"""The fingerprint a resumed campaign compares its recipients file with."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from runner.campaigns import RecipientsFileError, recipients_sha256


def test_the_fingerprint_is_the_sha256_of_the_files_bytes(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(b"\xef\xbb\xbfname,phone\r\nAda,+15551230001\r\n")
    assert recipients_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_any_change_to_the_file_changes_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("name,phone\nAda,+15551230001\n", encoding="utf-8")
    before = recipients_sha256(path)
    path.write_text("name,phone\nAda,+15551230002\n", encoding="utf-8")
    assert recipients_sha256(path) != before


def test_a_missing_file_is_a_recipients_file_error(tmp_path: Path) -> None:
    with pytest.raises(RecipientsFileError, match=r"cannot read .*gone\.csv: No such file or directory"):
        recipients_sha256(tmp_path / "gone.csv")
