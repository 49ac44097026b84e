import hashlib
import io
import sys
import zipfile
from dataclasses import replace

import pytest

from stancelab.data.io import InputError
from stancelab.models import encoders


def _fake_parts(tmp_path, n=3):
    """A zip of a model folder split into n pieces, each inside a folder package 'fake-part_00k/input/'."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("fake-model/model.safetensors", b"weights" * 100)
        zf.writestr("fake-model/config.json", "{}")
        zf.writestr("fake-model/desktop.ini", "junk")
    data = buffer.getvalue()
    size = len(data) // n + 1
    pieces = [data[i * size : (i + 1) * size] for i in range(n)]
    for k, piece in enumerate(pieces, 1):
        folder = tmp_path / "site" / f"fake-part_{k:03d}" / "input"
        folder.mkdir(parents=True)
        (folder / f"fake.zip.{k:03d}").write_bytes(piece)
    spec = encoders.PackagedEncoder(
        name="fake", packages=tuple(f"fake-part_{k:03d}" for k in range(1, n + 1)), piece_glob="fake.zip.*",
        piece_sha256=tuple(hashlib.sha256(p).hexdigest() for p in pieces),
        archive_sha256=hashlib.sha256(data).hexdigest(), folder="fake-model", extra="fake")
    return spec


@pytest.fixture
def fake(tmp_path, monkeypatch):
    spec = _fake_parts(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), *sys.path])
    monkeypatch.setitem(encoders.PACKAGED, "fake", spec)
    monkeypatch.setenv("STANCELAB_CACHE", str(tmp_path / "cache"))
    return spec


def test_install_joins_verifies_and_extracts(fake, tmp_path):
    path = encoders.install("fake")
    assert (path / "model.safetensors").read_bytes() == b"weights" * 100
    assert not (path / "desktop.ini").exists()
    assert encoders.encoder_path("fake") == path
    assert [p.name for p in path.parent.iterdir()] == ["fake"]  # no temporary folder left behind


def test_a_corrupt_piece_is_refused_and_nothing_is_installed(fake, monkeypatch):
    monkeypatch.setitem(encoders.PACKAGED, "fake", replace(fake, piece_sha256=("0" * 64, *fake.piece_sha256[1:])))
    with pytest.raises(InputError, match="does not match the pinned"):
        encoders.install("fake")
    with pytest.raises(InputError, match="is not assembled"):
        encoders.encoder_path("fake")


def test_missing_package_names_the_extra(fake, monkeypatch):
    monkeypatch.setitem(encoders.PACKAGED, "fake", replace(fake, packages=("fake-part_009",)))
    with pytest.raises(InputError, match=r"package 'fake-part_009' is not installed\. Fix: `pip install -e"):
        encoders.install("fake")
