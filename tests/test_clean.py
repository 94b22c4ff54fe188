from qa.clean import clean_text, is_furniture
from tests.conftest import SEED_CORPUS


def test_furniture_shapes_are_recognised():
    for line in ["Skip to main content", "Skip to content Skip to sidebar Skip to footer", "Back to top",
                 "1 / 4", "  3 / 12 ", "Slide 2 of 5", "Page 7", "•", "– –", "Menu", "Share this page", "→"]:
        assert is_furniture(line), line
    for line in ["China has 66 million 5G users.", "Back to the future of AI", "1 / 4 of revenue",
                 "Top 10 companies"]:
        assert not is_furniture(line), line


def test_seed_pages_lose_their_furniture_and_keep_content():
    for path in SEED_CORPUS.glob("*.txt"):
        raw = path.read_text(encoding="utf-8")
        cleaned = clean_text(raw)
        lines = cleaned.splitlines()
        assert not any(is_furniture(line) for line in lines)
        assert "Skip to" not in cleaned and "Back to top" not in cleaned
        assert not any(line.strip() in {"1 / 4", "2 / 4", "3 / 4", "4 / 4", "•"} for line in lines)
        # every content word of the raw page survives
        raw_words = [w for w in raw.split() if w not in {"•", "–", "/"} and not w.isdigit()]
        clean_words = set(cleaned.split())
        furniture_words = {"Skip", "to", "main", "content", "Back", "top", "sidebar", "footer"}
        missing = {w for w in raw_words if w not in clean_words} - furniture_words
        assert not missing, missing


def test_own_file_bullets_wraps_and_whitespace():
    raw = ("Home\r\nSkip to navigation\n\n  •  Tencent launched\nWeChat in 2011.\n\n• \n\n"
           "A  hard\nwrapped para-\ngraph\twith\u00a0spaces.\n\nScroll to top\n2 of 3\n")
    assert clean_text(raw) == "Tencent launched WeChat in 2011.\n\nA hard wrapped paragraph with spaces."


def test_lines_wrapped_inside_chinese_text_join_without_a_space():
    raw = "华为于2004年\n开始研发芯片，\n“麒麟”系列\n随后推出。\nIt is based in\nShenzhen 深圳\n市。\nIts 2019\n年报"
    assert clean_text(raw) == "华为于2004年开始研发芯片，“麒麟”系列随后推出。It is based in Shenzhen 深圳市。Its 2019 年报"


def test_a_page_number_between_dashes_is_furniture():
    assert clean_text("Xiaomi was founded in 2010.\n- 1 -\n– 12 –") == "Xiaomi was founded in 2010."
    assert clean_text("Revenue grew 5 - 10 - 15 percent.") == "Revenue grew 5 - 10 - 15 percent."
