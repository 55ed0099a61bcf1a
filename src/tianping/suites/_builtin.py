"""The suites shipped with Tianping, found by folder name without parsing them."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
_MANIFEST_NAMES = ("suite.yaml", "suite.yml")


def manifest_in(folder: Path) -> Path | None:
    """The ``suite.yaml`` (or ``suite.yml``) in ``folder``, if there is one."""
    for name in _MANIFEST_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def builtin_suites() -> dict[str, Path]:
    """Built-in suite name -> manifest path, for the suites shipped in the package.

    The folder name is the suite name; manifests are not read, so listing is
    cheap however many suites ship.
    """
    found: dict[str, Path] = {}
    if DATA_DIR.is_dir():
        for folder in sorted(DATA_DIR.iterdir()):
            manifest = manifest_in(folder) if folder.is_dir() else None
            if manifest is not None:
                found[folder.name] = manifest
    return found
