"""The words the web pages print, in Chinese and English.

Verdict words come from ``OUTCOME_WORDS`` (符合 / 不符合 / 无法判定 / 不适用);
terms the pages share with reports (clause, estimate, interval …) come from the
report's table; the rest are here, so a template never hard-codes a language.
"""

from __future__ import annotations

from ..report._labels import label as report_label
from ..standards._results import OUTCOME_WORDS

LANGS = ("zh", "en")
LANG_COOKIE = "tianping_lang"

_LABELS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app": ("天平", "Tianping"),
    "app_long": ("天平 · 大模型安全评估", "Tianping · LLM conformity assessment"),
    "nav_catalog": ("模型目录", "Catalog"),
    "nav_review": ("人工抽检", "Review"),
    "nav_admin": ("管理", "Admin"),
    "nav_api": ("API 文档", "API docs"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "logout": ("退出", "Sign out"),
    "login": ("登录", "Sign in"),
    "login_title": ("登录天平", "Sign in to Tianping"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误。", "Wrong user name or password."),
    "login_throttled": (
        "登录失败次数过多，请稍后再试。",
        "Too many failed sign-ins: try again in a few minutes.",
    ),
    "language": ("语言", "Language"),
    "role": ("角色", "Role"),
    "role_admin": ("管理员", "admin"),
    "role_assessor": ("评估员", "assessor"),
    "role_reviewer": ("审核员", "reviewer"),
    "role_viewer": ("查看者", "viewer"),
    # catalog
    "catalog_title": ("模型目录", "Model catalog"),
    "catalog_intro": (
        "各模型按评估方案列出最近一次评估的结论；结论可下载签名证明并离线核验。",
        "Each model's latest verdict per profile; download the signed attestation "
        "and verify it offline.",
    ),
    "vendor": ("厂商", "Vendor"),
    "model": ("模型", "Model"),
    "profile": ("评估方案", "Profile"),
    "verdict": ("结论", "Verdict"),
    "date": ("日期", "Date"),
    "date_from": ("起始日期", "From"),
    "date_to": ("截止日期", "To"),
    "filing": ("备案", "Filing"),
    "any": ("全部", "any"),
    "filter": ("筛选", "Filter"),
    "clear": ("清除", "Clear"),
    "stale": ("需重新评估", "stale"),
    "stale_note": (
        "该模型的身份指纹在评估之后发生了变化：结论可能已不适用，需要重新评估。",
        "The model's identity fingerprint changed after this assessment: "
        "its verdict may no longer hold and a re-assessment is due.",
    ),
    "attestation": ("签名证明", "Attestation"),
    "no_models": ("没有符合条件的模型。", "No model matches."),
    "not_in_catalog": ("未登记", "not registered"),
    "assessments": ("评估记录", "Assessments"),
    "open": ("查看", "open"),
    # model
    "model_title": ("模型", "Model"),
    "spec": ("模型标识", "Model spec"),
    "endpoint": ("接口地址", "Endpoint"),
    "release_date": ("发布日期", "Release date"),
    "filing_number": ("备案号", "Filing number"),
    "filing_status": ("备案状态", "Filing status"),
    "fingerprint": ("身份指纹", "Fingerprint"),
    "fingerprint_taken": ("指纹采集时间", "Fingerprint taken"),
    "history": ("评估历史", "Assessment history"),
    "trend": ("各条款趋势", "Trend per clause"),
    "trend_note": (
        "每点为一次评估的估计值，竖线为置信区间，虚线为阈值。",
        "Each dot is one assessment's estimate, with its interval; the dashed line is "
        "the threshold.",
    ),
    "compare": ("对比", "Compare"),
    "compare_selected": ("对比所选两次评估", "Compare the two selected"),
    "status": ("状态", "Status"),
    "no_assessments": ("尚无评估记录。", "No assessments yet."),
    # assessment
    "assessment": ("评估", "Assessment"),
    "conclusion": ("总体结论", "Conclusion"),
    "started": ("开始时间", "Started"),
    "finished": ("结束时间", "Finished"),
    "downloads": ("下载", "Downloads"),
    "redacted": ("（不含回答原文）", "(without response texts)"),
    "redacted_note": (
        "查看者下载的报告不含模型回答原文，因此与签名证明中的文件哈希不同。",
        "Reports downloaded by viewers leave out the response texts, so their hashes "
        "differ from those in the attestation.",
    ),
    "reports_outdated": (
        "报告文件生成于最近的人工审核标注之前，页面上的结论更新。重新生成：",
        "The report files were written before the latest review labels; the verdicts on this "
        "page are newer. Write them again:",
    ),
    "verify_ok": ("签名有效，文件哈希一致", "signature valid, files match"),
    "verify_bad": ("核验未通过", "verification failed"),
    "verify_unknown": ("本服务器无法核验", "cannot be verified here"),
    "verify_cmd": ("离线核验：", "Verify offline:"),
    "public_key": ("公钥", "public key"),
    "no_result": (
        "该评估尚无结论（状态：{status}）。",
        "This assessment has no result yet (status: {status}).",
    ),
    "charts": ("分组结果图", "Charts by group"),
    "review_section": ("人工抽检", "Human review"),
    "review_drawn": ("已抽取", "drawn"),
    "review_labelled": ("已标注", "labelled"),
    "review_go": ("去审核", "Review now"),
    "review_draw": ("抽取审核样本", "Draw the review sample"),
    "review_none_drawn": (
        "尚未为该评估抽取人工审核样本。",
        "No review sample has been drawn for this assessment yet.",
    ),
    "responses": ("回答与评分", "Responses and scores"),
    "responses_hidden": (
        "查看者不显示回答原文。",
        "Response texts are not shown to viewers.",
    ),
    "scores": ("评分", "Scores"),
    "label": ("标签", "Label"),
    "no_rows": ("没有符合条件的回答。", "No response matches."),
    "page_of": ("第 {page} / {pages} 页，共 {total} 条", "page {page} of {pages}, {total} in all"),
    "prev": ("上一页", "previous"),
    "first": ("第一页", "first page"),
    "notes": ("备注", "Notes"),
    "fp_changed": ("模型已变化", "model changed"),
    "next": ("下一页", "next"),
    "hidden": ("（已隐藏）", "(hidden)"),
    # compare
    "compare_title": ("评估对比", "Compare assessments"),
    "compare_pick": (
        "在模型页选择两次评估，或填写两个评估编号：",
        "Pick two assessments on a model page, or give two assessment ids:",
    ),
    "changed": ("有变化", "changed"),
    "unchanged": ("无变化", "unchanged"),
    "only_in": ("仅在一方", "only in one"),
    "delta": ("变化", "Change"),
    "changed_count": (
        "{n} 个条款的结论发生变化。",
        "{n} clause verdict(s) changed.",
    ),
    # review
    "review_title": ("人工抽检", "Human review"),
    "review_intro": (
        "逐条判断回答是否合格。看不到自动评分，也看不到其他审核员的标注。",
        "Judge each response: qualified or not. You see neither the automatic scores nor "
        "the other reviewer's label.",
    ),
    "review_keys": (
        "键盘：q 合格 · u 不合格 · 1–9 选择风险 · n 备注 · Enter 提交 · Esc 离开输入框",
        "Keys: q qualified · u unqualified · 1–9 risk · n note · Enter submit · Esc leave a field",
    ),
    "review_empty": (
        "没有待审核的题目了。",
        "Nothing left to review.",
    ),
    "stage": ("阶段", "Stage"),
    "stage_first": ("初审", "first review"),
    "stage_second": ("复审", "second review"),
    "stage_adjudication": ("仲裁", "adjudication"),
    "qualified": ("合格", "qualified"),
    "unqualified": ("不合格", "unqualified"),
    "item_risk": ("题目风险类别", "Item's risk"),
    "risk_pick": ("回答涉及的风险", "Risk in the response"),
    "risk_none": ("（无）", "(none)"),
    "note": ("备注", "Note"),
    "submit": ("提交", "Submit"),
    "task": ("任务", "Task"),
    "choose_label": ("请选择合格或不合格。", "Choose qualified or unqualified."),
    "submitted": ("已提交。", "Saved."),
    "review_progress": ("抽检进度", "Progress"),
    "review_settled": ("已定论", "settled"),
    "state_unlabelled": ("未标注", "unlabelled"),
    "state_one_label": ("已初审", "one label"),
    "state_agreed": ("一致", "agreed"),
    "state_disputed": ("有分歧", "disputed"),
    "state_adjudicated": ("已仲裁", "adjudicated"),
    "adjudicate_note": (
        "两位审核员意见不一致，请仲裁：",
        "The two reviewers disagree; your label settles it:",
    ),
    "context": ("对话上文", "Earlier turns"),
    "blocked_by_service": (
        "该回答被服务方的内容过滤拦截。",
        "The service's content filter blocked this answer.",
    ),
    "kappa": ("审核员一致性（Cohen's kappa）", "Reviewer agreement (Cohen's kappa)"),
    "live_verdict": ("按当前人工标注的判定", "Verdict from the labels so far"),
    "draw_n": ("抽取题数", "Items to draw"),
    # admin
    "admin_title": ("管理", "Administration"),
    "users": ("用户", "Users"),
    "add_user": ("添加用户", "Add a user"),
    "created": ("创建时间", "Created"),
    "disabled": ("已停用", "disabled"),
    "active": ("正常", "active"),
    "tokens": ("API 令牌", "API tokens"),
    "create_token": ("创建令牌", "Create a token"),
    "token_user": ("所属用户", "For user"),
    "token_prefix": ("前缀", "Prefix"),
    "last_used": ("最近使用", "Last used"),
    "revoke": ("吊销", "Revoke"),
    "revoked": ("已吊销", "revoked"),
    "token_once": (
        "新令牌如下，只显示这一次，请立即保存：",
        "Your new token, shown this once only: copy it now.",
    ),
    "user_added": ("已添加用户 {name}。", "Added user {name}."),
    "token_revoked": ("已吊销令牌。", "Token revoked."),
    "never": ("从未", "never"),
    # errors
    "error": ("出错了", "Something went wrong"),
    "forbidden": ("您没有权限查看此页面。", "You may not see this page."),
    "forbidden_title": ("无权访问", "Forbidden"),
    "not_found": ("找不到该页面或记录。", "No such page or record."),
    "not_found_title": ("未找到", "Not found"),
    "bad_request_title": ("请求有误", "Bad request"),
    "back_home": ("返回模型目录", "Back to the catalog"),
    "back_assessment": ("返回该评估", "Back to the assessment"),
}

FILING_WORDS: dict[str, tuple[str, str]] = {
    "filed": ("已备案", "filed"),
    "registered": ("已登记", "registered"),
    "pending": ("备案中", "pending"),
    "not_filed": ("未备案", "not filed"),
    "revoked": ("已注销", "revoked"),
}

ROLE_KEYS = {r: f"role_{r}" for r in ("admin", "assessor", "reviewer", "viewer")}


def check_lang(lang: str | None) -> str | None:
    """``lang`` when it is a language the pages are written in, else None."""
    return lang if lang in LANGS else None


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang``; the words pages share with reports come from
    the report's table (:func:`tianping.report._labels.label`)."""
    if key not in _LABELS:
        return report_label(key, lang)
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def outcome_word(outcome: str | None, lang: str) -> str:
    """符合 / 不符合 / 无法判定 / 不适用, or the English words; a dash for none."""
    if outcome is None or outcome not in OUTCOME_WORDS:
        return "—" if outcome is None else outcome
    return OUTCOME_WORDS[outcome][lang]


def filing_word(status: str | None, lang: str) -> str:
    """A filing (备案) status as people read it; unknown values as given."""
    if not status:
        return ""
    zh, en = FILING_WORDS.get(status, (status, status))
    return zh if lang == "zh" else en
