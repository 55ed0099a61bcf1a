"""The built-in vendor presets: schema, coverage, key handling, overrides, parameter rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tianping.adapters import ErrorRule, build_adapter, get_preset, load_presets
from tianping.adapters._openai_compat import OpenAICompatAdapter
from tianping.adapters._presets import BUILTIN, PresetFile
from tianping.core import ConfigError, GenerationParams, UnknownNameError

FIXTURES = Path(__file__).with_name("fixtures") / "protocols"
CONFIDENCE = {"documented", "third-party", "inferred"}
LOCAL = {"vllm-server", "ollama", "llamacpp", "sglang", "lmdeploy"}
EXPECTED = {
    # preset: key variable (None: no key is sent)
    "openai": "OPENAI_API_KEY",
    "ernie": "QIANFAN_API_KEY",
    "qwen": "DASHSCOPE_API_KEY",
    "hunyuan": "HUNYUAN_API_KEY",
    "sensenova": "SENSENOVA_API_KEY",
    "pangu": "MODELARTS_API_KEY",
    "spark": "IFLYTEK_API_KEY",
    "zhinao": "AI360_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "glm": "ZHIPUAI_API_KEY",
    "kimi": "MOONSHOT_API_KEY",
    "baichuan": "BAICHUAN_API_KEY",
    "minimax": "MINIMAX_API_KEY",
    "doubao": "ARK_API_KEY",
    "vllm-server": "VLLM_API_KEY",
    "ollama": None,
    "llamacpp": "LLAMACPP_API_KEY",
    "sglang": "SGLANG_API_KEY",
    "lmdeploy": "LMDEPLOY_API_KEY",
}


@pytest.fixture(autouse=True)
def _builtin_presets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANPING_PRESETS", raising=False)


def vendor_presets() -> list[str]:
    return [name for name in EXPECTED if name not in LOCAL]


def adapter(spec: str) -> OpenAICompatAdapter:
    built = build_adapter(spec)
    assert isinstance(built, OpenAICompatAdapter)
    return built


# -- schema and coverage -------------------------------------------------


def test_builtin_yaml_validates() -> None:
    raw = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    parsed = PresetFile.model_validate(raw)
    assert parsed.presets
    assert set(load_presets()) == set(parsed.presets)


def test_expected_presets_and_no_jd() -> None:
    presets = load_presets()
    assert set(presets) == set(EXPECTED)
    assert not any("jd" in name or "joy" in name for name in presets)
    # JD has no public chat API: the file says how to assess its open weights instead.
    text = BUILTIN.read_text(encoding="utf-8")
    comment = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    assert "JD" in comment
    assert "vllm-server:" in comment


def test_every_preset_has_a_fixture_and_every_fixture_a_preset() -> None:
    fixtures = {path.stem for path in FIXTURES.glob("*.json")}
    presets = set(load_presets())
    assert presets - fixtures == set(), "presets without a protocol fixture"
    assert fixtures - presets == set(), "protocol fixtures without a preset"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_preset_fields(name: str) -> None:
    preset = load_presets()[name]
    assert preset.key_env == EXPECTED[name]
    assert preset.confidence in CONFIDENCE
    assert preset.title
    assert preset.vendor
    assert preset.quirks, "say something about the vendor, even if only what is unknown"
    for quirk in preset.quirks:
        assert quirk.strip() == quirk, quirk
        assert quirk.endswith("."), f"quirks are sentences: {quirk!r}"
    if name in LOCAL:
        assert preset.vendor == "local"
        assert not preset.key_required
        assert preset.base_url.startswith("http://")
    else:
        assert preset.key_required
        assert preset.key_env
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", preset.key_env)
        assert preset.base_url.startswith("https://")
        assert preset.example_models
        # Chinese vendors name their product in Chinese in the title.
        if name != "openai":
            assert re.search(r"[\u4e00-\u9fff]", preset.title), preset.title


def test_confidence_is_honest_where_vendors_md_is_unsure() -> None:
    presets = load_presets()
    assert presets["pangu"].confidence == "inferred"  # key variable is a placeholder
    assert presets["sensenova"].confidence == "third-party"
    assert presets["zhinao"].confidence == "third-party"


def test_documented_rates_and_quirks() -> None:
    presets = load_presets()
    assert presets["sensenova"].rpm == 60
    assert presets["baichuan"].rpm == 120
    assert any("APIKey:APISecret" in q for q in presets["spark"].quirks)
    assert any("appid" in q for q in presets["ernie"].quirks)
    assert any("QIANFAN_API_KEY" in q for q in presets["ernie"].quirks)
    assert any("429" in q and "balance" in q for q in presets["baichuan"].quirks)
    assert any("seed" in q for q in presets["sensenova"].quirks)
    assert any("keep-alive" in q for q in presets["deepseek"].quirks)
    assert "sensitive" in presets["hunyuan"].refusal_finish_reasons
    assert "sensitive" in presets["glm"].refusal_finish_reasons


def test_error_rule_codes_survive_parsing() -> None:
    """Guard for the scalar-code bug below: the YAML writes codes as lists."""
    for name, preset in load_presets().items():
        for rule in preset.errors:
            for code in rule.code or ():
                assert len(code) > 1 or code.isdigit(), f"{name}: code split into characters"
    raw = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    rules = list(raw.get("default_errors") or [])
    for preset in raw["presets"].values():
        rules += preset.get("errors") or []
    for rule in rules:
        for field in ("code", "message", "status"):
            if field in rule:
                assert isinstance(rule[field], list), f"write {field} as a list: {rule}"


def test_scalar_error_code_is_one_code() -> None:
    rule = ErrorRule.model_validate({"code": "data_inspection_failed", "means": "content_filter"})
    assert rule.code == ("data_inspection_failed",)
    assert rule.matches(400, ["data_inspection_failed"], "")
    assert ErrorRule.model_validate({"code": 1301, "means": "content_filter"}).code == ("1301",)


# -- keys and names ------------------------------------------------------


@pytest.mark.parametrize("name", vendor_presets())
def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    preset = load_presets()[name]
    assert preset.key_env
    monkeypatch.delenv(preset.key_env, raising=False)
    with pytest.raises(ConfigError, match=re.escape(preset.key_env)):
        build_adapter(f"{name}:{preset.example_models[0]}")


def test_key_env_option_names_another_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    monkeypatch.delenv("MY_DS_KEY", raising=False)
    with pytest.raises(ConfigError, match="MY_DS_KEY"):
        build_adapter("deepseek:deepseek-chat?key_env=MY_DS_KEY")
    monkeypatch.setenv("MY_DS_KEY", "k")
    assert adapter("deepseek:deepseek-chat?key_env=MY_DS_KEY").url == (
        "https://api.deepseek.com/chat/completions"
    )


@pytest.mark.parametrize("name", sorted(LOCAL))
def test_local_presets_need_no_key(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    preset = load_presets()[name]
    if preset.key_env:
        monkeypatch.delenv(preset.key_env, raising=False)
    built = adapter(f"{name}:some-model")
    assert built.url == preset.base_url.rstrip("/") + "/chat/completions"
    assert "Authorization" not in built._headers


@pytest.mark.parametrize(("typo", "suggestion"), [("qwn", "qwen"), ("deepsek", "deepseek")])
def test_unknown_prefix_suggests(typo: str, suggestion: str) -> None:
    with pytest.raises(UnknownNameError, match=f"(?i)did you mean.*'{suggestion}'"):
        build_adapter(f"{typo}:some-model")
    with pytest.raises(UnknownNameError, match=f"(?i)did you mean.*'{suggestion}'"):
        get_preset(typo)


# -- user overrides ------------------------------------------------------


def test_user_file_merges_over_builtin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    override = tmp_path / "presets.yaml"
    override.write_text(
        "presets:\n"
        "  qwen:\n"
        "    base_url: https://dashscope-intl.aliyuncs.com/compatible-mode/v1\n"
        "  my-gateway:\n"
        "    vendor: local\n"
        "    title: In-house gateway\n"
        "    base_url: http://127.0.0.1:9000/v1\n"
        "    key_required: false\n",
        encoding="utf-8",
    )
    builtin = load_presets()["qwen"]
    monkeypatch.setenv("TIANPING_PRESETS", str(override))
    presets = load_presets()
    qwen = presets["qwen"]
    assert qwen.base_url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    # Everything else is kept, the built-in error rules included.
    assert qwen.model_copy(update={"base_url": builtin.base_url}) == builtin
    assert presets["my-gateway"].title == "In-house gateway"
    assert set(presets) == set(EXPECTED) | {"my-gateway"}
    assert adapter("my-gateway:m").url == "http://127.0.0.1:9000/v1/chat/completions"
    # Without the variable (and a cleared cache) the built-ins are back; a path given
    # explicitly (--presets FILE) merges the same way.
    monkeypatch.delenv("TIANPING_PRESETS")
    assert load_presets()["qwen"] == builtin
    assert "my-gateway" not in load_presets()
    assert load_presets(str(override))["qwen"].base_url.startswith("https://dashscope-intl.")


def test_user_file_with_bad_field_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    override = tmp_path / "presets.yaml"
    override.write_text("presets:\n  qwen:\n    base_ulr: https://x.test/v1\n", encoding="utf-8")
    monkeypatch.setenv("TIANPING_PRESETS", str(override))
    with pytest.raises(ConfigError, match="base_ulr"):
        load_presets()


def test_user_preset_gets_default_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    override = tmp_path / "presets.yaml"
    override.write_text(
        "presets:\n  my-vendor:\n    vendor: X\n    title: X\n    base_url: https://x.test/v1\n"
        "    key_env: X_API_KEY\n    confidence: inferred\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TIANPING_PRESETS", str(override))
    defaults = PresetFile.model_validate(
        yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    ).default_errors
    assert defaults
    assert set(defaults) <= set(load_presets()["my-vendor"].errors)


# -- parameter rules -----------------------------------------------------


def wire(monkeypatch: pytest.MonkeyPatch, spec: str, **params: object) -> dict[str, object]:
    name = spec.partition(":")[0]
    key_env = load_presets()[name].key_env
    if key_env:
        monkeypatch.setenv(key_env, "k")
    return adapter(spec).wire_params(GenerationParams.model_validate(params))


def test_param_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenAI reasoning models: max_completion_tokens, no sampling parameters.
    sent = wire(monkeypatch, "openai:o3", temperature=0.5, top_p=0.9, max_tokens=100)
    assert sent == {"max_completion_tokens": 100}
    assert wire(monkeypatch, "openai:gpt-4o", temperature=0.5, max_tokens=100) == {
        "temperature": 0.5,
        "max_tokens": 100,
    }
    # Spark: temperature (0, 1], max_tokens <= 8192.
    assert wire(monkeypatch, "spark:lite") == {"temperature": 0.01, "max_tokens": 1024}
    assert wire(monkeypatch, "spark:lite", temperature=1.7, max_tokens=10000) == {
        "temperature": 1.0,
        "max_tokens": 8192,
    }
    # DashScope: [0, 2).
    assert wire(monkeypatch, "qwen:qwen-plus", temperature=2.0)["temperature"] == 1.99
    assert wire(monkeypatch, "qwen:qwen-plus", temperature=0.0)["temperature"] == 0.0
    # 360: [0, 1].
    assert wire(monkeypatch, "zhinao:360gpt2-pro", temperature=1.5)["temperature"] == 1.0
    assert wire(monkeypatch, "zhinao:360gpt2-pro", temperature=0.0)["temperature"] == 0.0
    # DeepSeek reasoner ignores sampling params and errors on logprobs: not sent.
    sent = wire(
        monkeypatch,
        "deepseek:deepseek-reasoner",
        temperature=0.7,
        top_p=0.5,
        extra={"logprobs": True, "top_logprobs": 2},
    )
    assert sent == {"max_tokens": 1024}
    assert "temperature" in wire(monkeypatch, "deepseek:deepseek-chat", temperature=0.7)
    # Presets without rules send the parameters unchanged.
    assert wire(monkeypatch, "kimi:kimi-k2.5", temperature=0.3, seed=7) == {
        "temperature": 0.3,
        "max_tokens": 1024,
        "seed": 7,
    }


@pytest.mark.parametrize(
    "text",
    [
        "presets:\n  - qwen\n",
        "presets:\n  qwen: https://x.test/v1\n",
        "presets:\n  qwen:\n    errors:\n      - {code: 1301, means: shrug}\n",
        "default_errors: {code: 1}\npresets: {}\n",
    ],
    ids=["presets-list", "entry-scalar", "unknown-meaning", "defaults-not-a-list"],
)
def test_malformed_user_file_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    override = tmp_path / "presets.yaml"
    override.write_text(text, encoding="utf-8")
    monkeypatch.setenv("TIANPING_PRESETS", str(override))
    with pytest.raises(ConfigError):
        load_presets()


def test_user_scalar_numeric_code_is_one_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    override = tmp_path / "presets.yaml"
    override.write_text(
        "presets:\n  qwen:\n    errors:\n      - {code: 1301, means: content_filter}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TIANPING_PRESETS", str(override))
    rule = load_presets()["qwen"].errors[0]
    assert rule.code == ("1301",)
    assert rule.matches(400, ["1301"], "")
    assert not rule.matches(400, ["13"], "")
