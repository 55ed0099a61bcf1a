"""Where a local model's files are, and the fingerprint that identifies them.

``hf:PATH`` names a transformers folder (``config.json`` plus weights) or a
``.gguf`` file; ``local:NAME`` names a folder in Tianping's model cache
(``$TIANPING_HOME/models/NAME``, filled by ``tianping models pull``).

The fingerprint goes into the adapter's identity, and so into every request
key: two different checkpoints must never share cached answers. Small files
that shape the answer (config, tokenizer, chat template, generation defaults)
are hashed whole; weight files by name, size and sampled content (head, tail
and evenly spaced chunks), which tells a fine-tune from its base without
reading gigabytes at every start.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._home import data_home
from ..core import ConfigError

FOLDER_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth")
WEIGHT_SUFFIXES = (*FOLDER_WEIGHTS, ".gguf")
# Files that change what a folder model answers; hashed whole (all are small).
ANSWER_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
)
_EDGE = 1 << 20  # bytes hashed at each end of a weight file
_CHUNK = 64 << 10  # bytes per sampled chunk in between
_CHUNKS = 32
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MODEL_JSON = "model.json"


@dataclass(frozen=True)
class ModelFiles:
    """A local model on disk: its folder and, for GGUF, the file inside it."""

    folder: Path
    gguf_file: str | None
    name: str

    @property
    def format(self) -> str:
        return "gguf" if self.gguf_file else "transformers"


def models_dir() -> Path:
    """Tianping's model cache: ``$TIANPING_HOME/models``."""
    return data_home() / "models"


def pulled_models() -> list[str]:
    """Names of the models in the cache (folders with a ``model.json``)."""
    root = models_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MODEL_JSON).is_file())


def read_model_json(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MODEL_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read {folder / MODEL_JSON}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{folder / MODEL_JSON} is not a JSON object.")
    return data


def resolve_path(text: str) -> ModelFiles:
    """The model at ``text``: a transformers folder, a folder with one .gguf, or a .gguf file."""
    path = Path(text).expanduser()
    if not path.exists():
        raise ConfigError(
            f"No model at {path}. hf:PATH takes a folder with config.json and weights "
            "(as save_pretrained writes it) or a .gguf file."
        )
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ConfigError(f"{path} is a file but not a .gguf model; give its folder instead.")
        return ModelFiles(path.parent, path.name, path.stem)
    if (path / "config.json").is_file():
        return ModelFiles(path, None, path.name)
    ggufs = sorted(p.name for p in path.glob("*.gguf"))
    if len(ggufs) == 1:
        return ModelFiles(path, ggufs[0], path.name)
    if ggufs:
        raise ConfigError(f"{path} holds several .gguf files ({', '.join(ggufs)}); name one.")
    raise ConfigError(
        f"{path} has no config.json and no .gguf file: not a transformers model folder."
    )


def resolve_local(name: str) -> ModelFiles:
    """The cached model ``name`` (``local:NAME``)."""
    if not _NAME.match(name):
        raise ConfigError(f"Local model name {name!r} must be letters, digits, '.', '_' or '-'.")
    folder = models_dir() / name
    if not folder.is_dir():
        pulled = ", ".join(pulled_models()) or "none"
        raise ConfigError(
            f"No local model {name!r} in {models_dir()} (pulled: {pulled}). "
            f"Get it with `tianping models pull {name}` (`tianping models list` shows what "
            "can be pulled), or use hf:PATH for a folder of your own."
        )
    if (folder / "config.json").is_file():  # a transformers folder (a pulled GGUF, converted)
        return ModelFiles(folder, None, name)
    if (folder / MODEL_JSON).is_file():
        file = read_model_json(folder).get("file")
        if isinstance(file, str) and file.lower().endswith(".gguf"):
            if not (folder / file).is_file():
                raise ConfigError(
                    f"{folder / file} is missing: pull it again "
                    f"(delete {folder}, then `tianping models pull {name}`)."
                )
            return ModelFiles(folder, file, name)
    found = resolve_path(str(folder))
    return ModelFiles(found.folder, found.gguf_file, name)


def _sampled_digest(path: Path, size: int) -> bytes:
    h = hashlib.sha256()
    with path.open("rb") as f:
        if size <= 2 * _EDGE + _CHUNKS * _CHUNK:
            while block := f.read(1 << 20):
                h.update(block)
            return h.digest()
        h.update(f.read(_EDGE))
        step = (size - 2 * _EDGE) // (_CHUNKS + 1)
        for i in range(1, _CHUNKS + 1):
            f.seek(_EDGE + i * step)
            h.update(f.read(_CHUNK))
        f.seek(size - _EDGE)
        h.update(f.read(_EDGE))
    return h.digest()


def fingerprint(files: ModelFiles, extra: bytes = b"") -> str:
    """SHA-256 over what determines the model's answers (see the module docstring)."""
    h = hashlib.sha256()
    if files.gguf_file:
        # A GGUF file carries its own tokenizer and chat template.
        paths = [files.folder / files.gguf_file]
    else:
        paths = sorted(
            p
            for p in files.folder.iterdir()
            if p.is_file()
            and (p.name in ANSWER_FILES or p.suffix in FOLDER_WEIGHTS)
            and p.name != "training_args.bin"
        )
    for path in paths:
        size = path.stat().st_size
        h.update(f"{path.name}\0{size}\0".encode())
        if path.suffix in WEIGHT_SUFFIXES:
            h.update(_sampled_digest(path, size))
        else:
            h.update(hashlib.sha256(path.read_bytes()).digest())
    h.update(extra)
    return h.hexdigest()
