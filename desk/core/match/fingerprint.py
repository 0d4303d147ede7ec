"""What a kept file was made by: a digest of code and package versions.

Caches kept between runs (the examples' index, `desk test`'s words, vectors
and examples as read) are trusted only when made by the same code and the
same installed packages; each names what it depends on here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path


def code_fingerprint(seed: str, packages: Iterable[str] = (), files: Iterable[str] = ()) -> str:
    """SHA-256 over `seed`, each package's installed version (its name alone when it is not
    installed) and each file's bytes; '' when a file cannot be read (then nothing kept under
    it can be trusted)."""
    digest = hashlib.sha256(seed.encode())
    for package in packages:
        try:
            digest.update(f"{package} {metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(package.encode())
    try:
        for file in files:
            digest.update(Path(file).read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()
