"""Which processes run calls from a data folder: a lock per process, in real files."""

from __future__ import annotations

import os
from pathlib import Path

from runner.service import Owners


def test_an_owner_is_running_while_it_holds_its_lock(tmp_path: Path) -> None:
    server, reader = Owners(tmp_path), Owners(tmp_path)
    server.join()
    assert reader.running(server.id) == os.getpid()
    server.leave()
    assert reader.running(server.id) is None
    assert list((tmp_path / "running").iterdir()) == []


def test_the_file_of_a_process_that_ended_without_leaving_is_not_running_and_is_swept(
    tmp_path: Path,
) -> None:
    # What a SIGKILL leaves: the file, with no lock on it any more.
    (tmp_path / "running").mkdir()
    (tmp_path / "running" / "0123456789abcdef").write_text("4242", encoding="utf-8")
    owners = Owners(tmp_path)
    assert owners.running("0123456789abcdef") is None
    owners.join()
    assert sorted(path.name for path in (tmp_path / "running").iterdir()) == [owners.id]
    owners.leave()


def test_no_owner_or_a_name_it_never_gives_is_not_running(tmp_path: Path) -> None:
    owners = Owners(tmp_path)
    owners.join()
    try:
        assert owners.running(None) is None
        assert owners.running("../running/" + owners.id) is None
        assert owners.running(".reconcile") is None
    finally:
        owners.leave()
