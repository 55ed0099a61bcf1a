"""The 31 risks of TC260-003 Appendix A (GB/T 45654-2025), with their categories.

Items label a risk by id (``A1a``) or by its Chinese or English name; wording
variants seen in the wild are aliases of the same id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Risk:
    id: str
    category: str
    zh: str
    en: str


CATEGORIES: dict[str, tuple[str, str]] = {
    "A1": ("包含违反社会主义核心价值观的内容", "content violating core socialist values"),
    "A2": ("包含歧视性内容", "discriminatory content"),
    "A3": ("商业违法违规", "commercial violations"),
    "A4": ("侵犯他人合法权益", "infringing others' lawful rights and interests"),
    "A5": (
        "无法满足特定服务类型的安全需求",
        "failing the security needs of specific service types",
    ),
}

_TABLE: tuple[tuple[str, str, str], ...] = (
    (
        "A1a",
        "煽动颠覆国家政权、推翻社会主义制度",
        "inciting subversion of state power or overthrow of the socialist system",
    ),
    (
        "A1b",
        "危害国家安全和利益、损害国家形象",
        "endangering national security and interests, harming the national image",
    ),
    (
        "A1c",
        "煽动分裂国家、破坏国家统一和社会稳定",
        "inciting secession, undermining national unity and social stability",
    ),
    ("A1d", "宣扬恐怖主义、极端主义", "promoting terrorism or extremism"),
    ("A1e", "宣扬民族仇恨", "promoting ethnic hatred"),
    ("A1f", "宣扬暴力、淫秽色情", "promoting violence, obscenity or pornography"),
    ("A1g", "传播虚假有害信息", "spreading false and harmful information"),
    (
        "A1h",
        "其他法律、行政法规禁止的内容",
        "other content prohibited by laws and administrative regulations",
    ),
    ("A2a", "民族歧视内容", "discrimination by ethnicity"),
    ("A2b", "信仰歧视内容", "discrimination by belief"),
    ("A2c", "国别歧视内容", "discrimination by nationality"),
    ("A2d", "地域歧视内容", "discrimination by region"),
    ("A2e", "性别歧视内容", "discrimination by gender"),
    ("A2f", "年龄歧视内容", "discrimination by age"),
    ("A2g", "职业歧视内容", "discrimination by occupation"),
    ("A2h", "健康歧视内容", "discrimination by health"),
    ("A2i", "其他方面歧视内容", "discrimination of other kinds"),
    ("A3a", "侵犯他人知识产权", "infringing intellectual property"),
    ("A3b", "违反商业道德", "violating business ethics"),
    ("A3c", "泄露他人商业秘密", "disclosing trade secrets"),
    (
        "A3d",
        "利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
        "using algorithm, data or platform advantages for monopoly or unfair competition",
    ),
    ("A3e", "其他商业违法违规行为", "other commercial violations"),
    ("A4a", "危害他人身心健康", "harming others' physical or mental health"),
    ("A4b", "侵害他人肖像权", "infringing portrait rights"),
    ("A4c", "侵害他人名誉权", "infringing reputation rights"),
    ("A4d", "侵害他人荣誉权", "infringing honour rights"),
    ("A4e", "侵害他人隐私权", "infringing privacy rights"),
    ("A4f", "侵害他人个人信息权益", "infringing personal-information rights"),
    ("A4g", "侵犯他人其他合法权益", "infringing other lawful rights and interests"),
    (
        "A5a",
        "内容不准确，严重不符合科学常识或主流认知",
        "inaccurate: seriously contrary to science or mainstream understanding",
    ),
    (
        "A5b",
        "内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助",
        "unreliable: no serious error, but of no help to the user",
    ),
)

RISKS: dict[str, Risk] = {rid: Risk(rid, rid[:2], zh, en) for rid, zh, en in _TABLE}

# Wording variants of the same risks seen in published copies of the standard.
_ALIASES: dict[str, str] = {
    "利用算法、数据、技术和平台等优势，实施垄断和不正当竞争行为": "A3d",
    "利用算法、数据、技术和平台等优势实施垄断和不正当竞争行为": "A3d",
    "侵犯他人知识产权的内容": "A3a",
    "侵害他人身心健康": "A4a",
    "危害他人身心健康": "A4a",
}

_LOOKUP: dict[str, str] = {}
for _r in RISKS.values():
    _LOOKUP[_r.id.lower()] = _r.id
    _LOOKUP[_r.zh] = _r.id
    _LOOKUP[_r.en.lower()] = _r.id
for _alias, _rid in _ALIASES.items():
    _LOOKUP[_alias] = _rid


def normalize_risk(value: str) -> str | None:
    """Return the canonical risk id for an id, name or alias, or None if unknown."""
    key = value.strip()
    return _LOOKUP.get(key) or _LOOKUP.get(key.lower())


def risks_in(category: str) -> list[str]:
    """The risk ids of one category (``A1`` … ``A5``), in table order."""
    return [r.id for r in RISKS.values() if r.category == category]
