"""normalize, extract_number and extract_choice on real-looking answers in Chinese and English."""

from __future__ import annotations

import pytest

from tianping.scoring._normalize import extract_choice, extract_number, normalize

EN = ("London", "Paris", "Berlin", "Madrid")
ZH = ("上海", "北京", "广州", "深圳")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),
        ("ＡＢＣ１２３，", "abc123"),
        ("  Hello,   World!  ", "hello world"),
        ("“Hello, World!”", "hello world"),
        ("**Paris**", "paris"),
        ("`x + 1`", "x + 1"),
        ("臺灣", "台湾"),
        ("發展", "发展"),
        ("《红楼梦》", "红楼梦"),
        ("北京， 上海。", "北京上海"),
        ("【答案】北京", "答案北京"),
        ("这是……测试——好吗？", "这是测试好吗"),
        ("3.5", "3.5"),
        ("1,234", "1234"),
        ("-7", "-7"),
        ("42%", "42%"),
        ("3/4", "3/4"),
        ("don't", "dont"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("中国 China", "中国 china"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_traditional_and_simplified_compare_equal() -> None:
    assert normalize("臺灣的經濟發展") == normalize("台湾的经济发展")
    assert normalize("ＡＩ發展") == normalize("ai发展")


def test_normalize_options() -> None:
    assert normalize("Paris!", strip_punct=False) == "paris!"
    assert normalize("Paris", fold_case=False) == "Paris"
    assert normalize("發展", to_simplified=False) == "發展"
    assert normalize("發展", lang="ja") == "發展"  # kanji are not traditional Chinese
    assert normalize("“Paris”", strip_punct=False) == "paris"  # surrounding quotes go anyway


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("答案是 42", 42.0),
        ("答案：42。", 42.0),
        ("x = 3.5", 3.5),
        ("= 3.5", 3.5),
        ("The total is 1,234.5 dollars.", 1234.5),
        ("-7", -7.0),
        ("It drops to −7 degrees.", -7.0),
        ("42%", 42.0),
        ("3/4", 0.75),
        ("\\frac{3}{4}", 0.75),
        ("1e-3", 0.001),
        ("共3万人", 30000.0),
        ("４２", 42.0),
        ("十二", 12.0),
        ("三百零五", 305.0),
        ("两千", 2000.0),
        ("一万二千", 12000.0),
        ("三点五", 3.5),
        ("四分之三", 0.75),
        ("答案：负三", -3.0),
        ("二〇二四年", 2024.0),
        ("一些人买了十二个苹果", 12.0),
        ("十分钟后来了十二个人", 12.0),
        ("2 + 2 * 3 = 2 + 6 = 8", 8.0),
        ("The answer is 5. Check: 2 + 3 = 5, and 1 = 1.", 5.0),
        ("结果是 3+4=7。", 7.0),
        ("First 12 apples, then 3 more: 15 in all.", 15.0),
        ("The answer is \\boxed{42}.", 42.0),
        ("#### 18", 18.0),
        ("答案是0", 0.0),
        ("x = 0", 0.0),
        ("共有5个苹果，答案是五", 5.0),
    ],
)
def test_extract_number(text: str, expected: float) -> None:
    assert extract_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "no numbers here", "没有数字", "一些人", "十分好", "千万不要"]
)
def test_extract_number_none(text: str) -> None:
    assert extract_number(text) is None


# (response, choices, expected letter): at least 40 answers as models write them.
CHOICE_CASES = [
    # Chinese, explicit
    ("答案是 B", ZH, "B"),
    ("答案：B", ZH, "B"),
    ("答案：Ｂ", ZH, "B"),
    ("选B", ZH, "B"),
    ("选择 C 项", ZH, "C"),
    ("正确答案为（D）", ZH, "D"),
    ("故选C。", ZH, "C"),
    ("本题答案选 B。", ZH, "B"),
    ("【答案】B\n【解析】北京是中国的首都。", ZH, "B"),
    ("我选 B。", ZH, "B"),
    ("应选B项。", ZH, "B"),
    ("B 选项正确。", ZH, "B"),
    ("B项正确，北京是首都。", ZH, "B"),
    ("答案不是A，而是B。", ZH, "B"),
    ("排除A、C、D，正确答案是B。", ZH, "B"),
    ("我认为是北京。", ZH, "B"),
    ("中国的首都是北京。", ZH, "B"),
    ("上海不是首都，北京才是。", ZH, "B"),
    ("A项错误；B项正确；C项错误；D项错误。", ZH, "B"),
    ("A. 上海——错误\nB. 北京——正确\nC. 广州——错误\nD. 深圳——错误\n\n所以正确答案是 B。", ZH, "B"),
    ("<think>\n首都是北京，对应B。\n</think>\n\n答案：B", ZH, "B"),
    ("選B", ("玉山", "阿里山", "合歡山", "雪山"), "B"),
    ("臺灣最高峰是玉山。", ("玉山", "阿里山", "合歡山", "雪山"), "A"),
    # English, explicit
    ("The answer is B", EN, "B"),
    ("Answer: B", EN, "B"),
    ("ANSWER: B", EN, "B"),
    ("I'd go with option C", EN, "C"),
    ("The correct answer is **B. Paris**.", EN, "B"),
    ("Final answer: (B)", EN, "B"),
    ("the answer is b", EN, "B"),
    ("$\\boxed{C}$", EN, "C"),
    ("Correct option: C", EN, "C"),
    ("I first thought A, but the answer is C.", EN, "C"),
    ("The answer is D. Wait, no: the answer is C.", EN, "C"),
    ("A good question! The answer is C.", EN, "C"),
    ("A common mistake is to pick London. Answer: B", EN, "B"),
    ("Option B is correct.", EN, "B"),
    ("A is wrong because London is in England. B is correct.", EN, "B"),
    ("Not A. It's B.", EN, "B"),
    ("The answer is B, not A.", EN, "B"),
    ("I'll go with Berlin.", EN, "C"),
    # letter formats
    ("B", EN, "B"),
    ("b", EN, "B"),
    ("B.", EN, "B"),
    ("(B)", EN, "B"),
    ("B)", EN, "B"),
    ("**B**", EN, "B"),
    ("B) Paris", EN, "B"),
    ("B. Paris\n\nParis has been the capital since the 10th century.", EN, "B"),
    ("（Ｂ）", ZH, "B"),
    # restated option text
    ("The capital of France is Paris.", EN, "B"),
    ("Paris", EN, "B"),
    ("It's Paris, not London.", EN, "B"),
    ("A transport-layer protocol.", ("A transport-layer protocol", "A file format"), "A"),
    ("100 °C (B)", ("90 °C", "100 °C", "110 °C"), "B"),
]


@pytest.mark.parametrize(("text", "choices", "expected"), CHOICE_CASES)
def test_extract_choice(text: str, choices: tuple[str, ...], expected: str) -> None:
    letter, how = extract_choice(text, choices)
    assert letter == expected, how
    assert how


@pytest.mark.parametrize(
    ("text", "choices", "reason"),
    [
        ("A or B", EN, "several letters (A, B)"),
        ("The answer is A or B.", EN, "several letters (A, B)"),
        ("I'm not sure. It could be A or C.", EN, "several letters (A, C)"),
        ("A 和 C 都对", ZH, "several letters (A, C)"),
        ("这个问题有点难，我觉得可能是A，也可能是B。", ZH, "several letters"),
        ("答案：B、D", ZH, "several letters (B, D)"),
        ("I'm sorry, but I can't help with that.", EN, "no option letter"),
        ("抱歉，我无法回答这个问题。", ZH, "no option letter"),
        ("The answer is a city in France.", EN, "no option letter"),
        ("The answer is E.", EN, "no option letter"),
        ("London and Paris are both capitals.", EN, "several options"),
        ("", EN, "empty"),
        ("   ", EN, "empty"),
    ],
)
def test_extract_choice_refuses_to_guess(text: str, choices: tuple[str, ...], reason: str) -> None:
    letter, how = extract_choice(text, choices)
    assert letter is None
    assert reason in how


def test_extract_choice_says_how() -> None:
    assert extract_choice("The answer is B.", EN) == ("B", "'answer is B'")
    assert extract_choice("B", EN) == ("B", "letter alone 'B'")
    assert extract_choice("Paris", EN) == ("B", "restated option text 'paris'")


def test_extract_choice_options_with_letter_prefixes() -> None:
    assert extract_choice("I think it is Paris.", ("A. London", "B. Paris"))[0] == "B"
    assert extract_choice("答案是北京", ("A. 上海", "B. 北京")) == (
        "B",
        "'答案是' and the text of option B",
    )


def test_extract_choice_letters_beyond_the_options_do_not_count() -> None:
    assert extract_choice("C", ("yes", "no"))[0] is None
    assert extract_choice("The answer is B", ())[0] == "B"  # no choices given: A-D


def test_an_arabic_answer_beats_a_numeral_in_the_instruction() -> None:
    # "两位小数" is part of the instruction, not the answer.
    assert extract_number("结果保留两位小数：3.49") == pytest.approx(3.49)
    assert extract_number("答案是十二") == 12
