"""Every preset against its vendor's recorded protocol, over loopback HTTP.

For each exchange in ``fixtures/protocols/<preset>.json`` the replay server
answers one request with the recorded status, headers and body; the adapter
built from the preset must turn it into the expected outcome, and the request it
sent must follow the preset (path, auth scheme, body, parameter rules).

Exchange fields besides the response (``status``, ``headers``, ``body``):

``expect``
    ``{"error": <ModelError subclass name>, "retry_after": <seconds or null>,
    "vendor_code": ...}`` for an error; otherwise fields of the ``ModelOutput``
    (``text``, ``finish_reason``, ``prompt_tokens``, ``completion_tokens``,
    ``reported_model``, ``system_fingerprint``, ``refused_by_service``,
    ``vendor_code``). ``refused_by_service`` is false unless stated.
``request`` (optional)
    ``{"model": ..., "params": {...}}``: the model (default: the preset's first
    example model) and generation parameters (default: ``GenerationParams()``).
``expect_sent`` (optional)
    ``{"set": {field: value}, "absent": [field, ...]}`` on the sent JSON body.
``confidence``, ``note``
    How sure we are of the vendor's shape (``documented``, ``third-party``,
    ``inferred``), and why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from _fixture_server import ReplayServer, load_fixtures

from tianping.adapters import build_adapter, load_presets
from tianping.adapters._http import HttpResponse
from tianping.adapters._openai_compat import OpenAICompatAdapter
from tianping.core import BadResponseError, GenerationParams, ModelError, ModelOutput

pytestmark = pytest.mark.network

FIXTURES = load_fixtures()
CASES = [(preset, ex["name"]) for preset, items in FIXTURES.items() for ex in items]
MESSAGES = [{"role": "user", "content": "你好"}]
DEFAULT_MODEL = "served-model"
OUTPUT_FIELDS = {
    "text",
    "finish_reason",
    "refused_by_service",
    "vendor_code",
    "prompt_tokens",
    "completion_tokens",
    "reported_model",
    "system_fingerprint",
}


def dummy_key(preset: str) -> str:
    # iFlytek's key is "APIKey:APISecret", sent whole as the Bearer token.
    return "test-apikey:test-apisecret" if preset == "spark" else f"test-key-{preset}"


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer(FIXTURES) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _builtin_presets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANPING_PRESETS", raising=False)


async def _call(adapter: OpenAICompatAdapter, params: GenerationParams) -> ModelOutput | ModelError:
    try:
        return await adapter.generate(MESSAGES, params)
    except ModelError as exc:
        return exc
    finally:
        await adapter.aclose()


@pytest.mark.parametrize(
    ("preset_name", "exchange_name"), CASES, ids=[f"{p}-{e}" for p, e in CASES]
)
def test_exchange(
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    preset_name: str,
    exchange_name: str,
) -> None:
    preset = load_presets()[preset_name]
    ex = server.exchange(preset_name, exchange_name)
    request = ex.get("request") or {}
    model = request.get("model") or (preset.example_models or (DEFAULT_MODEL,))[0]
    params = GenerationParams.model_validate(request.get("params") or {})
    key = dummy_key(preset_name)
    if preset.key_env:
        monkeypatch.setenv(preset.key_env, key)

    base_path = urlsplit(preset.base_url).path.rstrip("/")
    url = server.base_url(preset_name, exchange_name, base_path)
    adapter = build_adapter(f"{preset_name}:{model}@{url}")
    assert isinstance(adapter, OpenAICompatAdapter)
    assert adapter.preset == preset
    wire = adapter.wire_params(params)
    outcome = asyncio.run(_call(adapter, params))

    # -- the request, as the vendor would have received it
    sent = server.requests.pop((preset_name, exchange_name))
    assert sent.method == "POST"
    assert sent.path == base_path + "/chat/completions"
    assert sent.headers["content-type"] == "application/json"
    auth = sent.headers.get(preset.auth_header.lower())
    if preset.key_env:
        assert auth == f"{preset.auth_scheme} {key}".strip()
    else:
        assert auth is None
    body = sent.json
    assert isinstance(body, dict)
    assert body["model"] == model
    assert body["messages"] == MESSAGES
    # What the manifest records (wire_params) is exactly what went out.
    assert body == {"model": model, "messages": MESSAGES, **wire}
    expect_sent = ex.get("expect_sent") or {}
    for field, value in (expect_sent.get("set") or {}).items():
        assert body.get(field) == value, f"sent {field}={body.get(field)!r}, expected {value!r}"
    for field in expect_sent.get("absent") or ():
        assert field not in body, f"{field} was sent: {body[field]!r}"

    # -- the outcome
    expect = ex["expect"]
    if "error" in expect:
        assert isinstance(outcome, ModelError), f"expected {expect['error']}, got {outcome!r}"
        assert type(outcome).__name__ == expect["error"], repr(outcome)
        assert outcome.status == ex["status"]
        if expect["retry_after"] is None:
            assert outcome.retry_after is None
        else:
            assert outcome.retry_after == pytest.approx(expect["retry_after"])
        if "vendor_code" in expect:
            assert outcome.code == expect["vendor_code"]
        return
    if isinstance(outcome, ModelError):
        pytest.fail(f"expected an answer, got {outcome!r}")
    unknown = set(expect) - OUTPUT_FIELDS
    assert not unknown, f"unknown expect fields {unknown}"
    assert outcome.refused_by_service is expect.get("refused_by_service", False)
    for field, value in expect.items():
        assert getattr(outcome, field) == value, f"{field}: {getattr(outcome, field)!r}"


def test_fixture_exchanges_are_well_formed() -> None:
    allowed = {"name", "confidence", "note", "request", "status", "headers", "body"}
    allowed |= {"expect", "expect_sent"}
    errors = {
        "AuthError",
        "RateLimitError",
        "ServerError",
        "BadResponseError",
        "QuotaExhaustedError",
        "RequestRejected",
    }
    for preset, items in FIXTURES.items():
        names = [ex["name"] for ex in items]
        assert len(names) == len(set(names)), f"{preset}: duplicate exchange names"
        for ex in items:
            where = f"{preset}/{ex['name']}"
            assert set(ex) <= allowed, f"{where}: unknown fields {set(ex) - allowed}"
            assert ex["confidence"] in {"documented", "third-party", "inferred"}, where
            assert isinstance(ex["status"], int), where
            expect = ex["expect"]
            if "error" in expect:
                assert expect["error"] in errors, where
                assert "retry_after" in expect, where
            if ex["name"] == "content_filter":
                assert expect.get("refused_by_service") is True, where
                assert expect.get("vendor_code"), where


def test_required_exchanges_present() -> None:
    """Each vendor fixture covers the cases every adapter must get right."""
    base = {
        "success",
        "auth_401",
        "rate_429_retry_after",
        "rate_429_no_retry_after",
        "server_500",
        "malformed_body",
    }
    presets = load_presets()
    for name, items in FIXTURES.items():
        names = {ex["name"] for ex in items}
        required = set(base)
        if presets[name].vendor != "local":
            required.add("content_filter")  # local servers have no content-safety layer
        if name == "deepseek":
            required.add("keepalive_noise")
        missing = required - names
        assert not missing, f"{name}: missing exchanges {sorted(missing)}"
        rate = next(ex for ex in items if ex["name"] == "rate_429_retry_after")
        assert any(h.lower() == "retry-after" for h in rate["headers"]), name
        assert rate["expect"]["retry_after"] is not None, name


@pytest.mark.parametrize(
    "body",
    [b'{"choices": {"0": {}}}', b'{"choices": 5}', b'{"choices": true}'],
    ids=["object", "number", "true"],
)
def test_choices_not_a_list_is_a_bad_response(body: bytes) -> None:
    adapter = build_adapter("openai-compat:m@http://127.0.0.1:9/v1")
    assert isinstance(adapter, OpenAICompatAdapter)
    with pytest.raises(BadResponseError):
        adapter._read(HttpResponse(200, {}, body))
