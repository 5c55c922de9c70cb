"""A campaign's durable state: the types the store keeps, and the fingerprint of its file.

The types live in ``runner.store``, the lower layer that keeps them, and are shown here
too because a campaign is where a reader looks for them. A resumed campaign compares
``recipients_sha256`` with the file given again, and refuses a file that changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from runner.campaigns._csv import RecipientsFileError


def recipients_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, in hex: the same file, byte for byte, or not.

    Raises RecipientsFileError when the file cannot be read.
    """
    try:
        with path.open("rb") as source:
            return hashlib.file_digest(source, "sha256").hexdigest()
    except OSError as error:
        raise RecipientsFileError(f"cannot read {path}: {error.strerror or error}") from None
