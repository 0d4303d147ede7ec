"""A kept file's maker: the code and packages a fingerprint changes with."""

from __future__ import annotations

from pathlib import Path

from desk.core.match.fingerprint import code_fingerprint


def test_a_fingerprint_changes_with_its_seed_packages_and_files(tmp_path: Path) -> None:
    code = tmp_path / "code.py"
    code.write_text("x = 1\n", encoding="utf-8")
    first = code_fingerprint("seed", ("rapidfuzz",), (str(code),))
    assert first == code_fingerprint("seed", ("rapidfuzz",), (str(code),))
    assert first != code_fingerprint("other", ("rapidfuzz",), (str(code),))
    assert first != code_fingerprint("seed", ("orjson",), (str(code),))
    assert first != code_fingerprint("seed", ("no-such-package-here",), (str(code),))
    code.write_text("x = 2\n", encoding="utf-8")
    assert first != code_fingerprint("seed", ("rapidfuzz",), (str(code),))
    assert code_fingerprint("seed", (), (str(tmp_path / "gone.py"),)) == ""  # nothing trusted
