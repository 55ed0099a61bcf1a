"""``tianping keys generate|show`` and ``tianping verify``: signing keys and attestations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import JsonOption, console, print_json

if TYPE_CHECKING:
    from ..attest import KeyPair, Verification

keys_app = typer.Typer(
    rich_markup_mode=None,
    help="Ed25519 keys that sign attestations.",
    no_args_is_help=True,
)

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        metavar="DIR",
        help="Key directory. Default: $TIANPING_HOME/keys, else keys/ in the user's data "
        "directory.",
        show_default=False,
    ),
]


def _key_json(pair: KeyPair) -> dict[str, object]:
    return {
        "keyid": pair.keyid,
        "private_key": str(pair.private_key),
        "public_key": str(pair.public_key),
        "encrypted": pair.encrypted,
    }


@keys_app.command("generate")
def generate(
    directory: DirOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing key (old signatures stay valid).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Make a new signing key pair (passphrase-protected if TIANPING_KEY_PASSPHRASE is set)."""
    from ..attest import generate_key

    pair = generate_key(directory, force=force)
    if json_out:
        print_json(_key_json(pair))
        return
    out = console()
    out.print(f"key id: {pair.keyid}", markup=False)
    out.print(f"private key: {pair.private_key} (keep it secret)", markup=False)
    out.print(f"public key: {pair.public_key} (give it to whoever verifies)", markup=False)
    if not pair.encrypted:
        console(stderr=True).print(
            "note: the private key is not encrypted; set TIANPING_KEY_PASSPHRASE before "
            "`keys generate` to protect it with a passphrase",
            markup=False,
        )


@keys_app.command("show")
def show(directory: DirOption = None, json_out: JsonOption = False) -> None:
    """Print the key id and paths of the key in the key directory."""
    from ..attest import (
        PRIVATE_KEY_NAME,
        PUBLIC_KEY_NAME,
        KeyPair,
        default_key_dir,
        key_id,
        load_public_key,
    )

    folder = directory.expanduser() if directory is not None else default_key_dir()
    private_path = folder / PRIVATE_KEY_NAME
    public = load_public_key(folder / PUBLIC_KEY_NAME)
    head = private_path.read_bytes()[:64] if private_path.is_file() else b""
    pair = KeyPair(private_path, folder / PUBLIC_KEY_NAME, key_id(public), b"ENCRYPTED" in head)
    if json_out:
        print_json(_key_json(pair) | {"private_key_present": private_path.is_file()})
        return
    out = console()
    out.print(f"key id: {pair.keyid}", markup=False)
    out.print(f"public key: {pair.public_key}", markup=False)
    if private_path.is_file():
        state = "passphrase-protected" if pair.encrypted else "not encrypted"
        out.print(f"private key: {private_path} ({state})", markup=False)
    else:
        out.print(
            f"private key: none at {private_path} (this key can verify, not sign)", markup=False
        )


def verify(
    attestation: Annotated[
        Path, typer.Argument(metavar="ATTESTATION", help="The attestation (a .dsse.json file).")
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            metavar="PUBKEY",
            help="The signer's public key (.pub file or key directory). Default: your own.",
            show_default=False,
        ),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            metavar="PATH",
            help="A subject's file to check, matched by file name (repeatable). Files "
            "beside the attestation are checked anyway.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Check a signed attestation offline: signature, key, statement and subject files.

    Exit 0 when valid, 7 when not (or when there is no key to check it with).
    """
    from ..attest import AttestationError, verify_envelope

    try:
        result = verify_envelope(attestation, key, files={p.name: p for p in files or []})
    except AttestationError as exc:
        if not json_out:
            raise
        print_json({"valid": False, "problems": [str(exc)], "attestation": str(attestation)})
        raise typer.Exit(exc.exit_code) from exc
    if json_out:
        print_json(result.to_json())
    else:
        _print_verification(result)
    if not result.valid:
        raise typer.Exit(7)


def _print_verification(result: Verification) -> None:
    out = console()
    if not result.valid:
        out.print("INVALID", markup=False)
        for problem in result.problems:
            out.print(f"  - {problem}", markup=False)
        return
    names = ", ".join(s.name for s in result.subjects)
    out.print(f"valid: signed by key {result.keyid}, subject {names}", markup=False)
    for s in result.subjects:
        digest = s.digest.get("sha256") or next(iter(s.digest.values()))
        note = f"file {s.file} matches" if s.check == "matches" else "file not checked"
        out.print(f"  {s.name}  sha256:{digest[:16]}…  {note}", markup=False)
    if result.conclusion is not None:
        out.print(f"conclusion: {result.conclusion}", markup=False)
    counts = result.verdict_counts
    if counts:
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        out.print(f"verdicts: {summary}", markup=False)
