"""Chinese (CJK) text: tokens that match across sentences, sentences that end at 。！？, passages
of a citable size, and full-width digits, on a small Chinese + English corpus through the
real index."""
from __future__ import annotations

import pytest

from qa.text import MAX_SENTENCE_WORDS, sentence_spans, tokenize, word_count, words

ZH = (
    "百度公司成立于2000年，总部位于北京。百度的创始人是李彦宏。2019年，百度的总收入为1074亿元人民币。\n\n"
    "阿里巴巴集团由马云于1999年在杭州创立。阿里巴巴旗下有淘宝、天猫和支付宝等业务！你知道菜鸟网络吗？"
    "菜鸟网络是阿里巴巴的物流平台。\n\n"
    "腾讯的创始人是马化腾。微信于2011年1月推出，到2021年已有超过12亿月活跃用户。\n"
)
MIXED = (
    "Huawei Technologies (华为技术有限公司) is headquartered in Shenzhen (深圳). "
    "In 2021, Huawei employed about 195,000 people worldwide.\n\n"
    "ByteDance（字节跳动）was founded by Zhang Yiming（张一鸣）in 2012。Its flagship app Douyin（抖音）"
    "had 600 million daily active users in August 2020！\n"
)
COMPANIES = ["百度", "阿里巴巴", "腾讯", "华为", "字节跳动", "美团", "京东", "小米", "网易", "拼多多",
             "滴滴", "快手", "蔚来", "比亚迪", "商汤", "科大讯飞", "大疆", "携程", "哔哩哔哩", "中兴"]
LONG = "\n\n".join(
    f"{name}在第{i + 1}季度发布了新的产品线。公司表示，这一举措将帮助{name}扩大市场份额，并提升用户体验。"
    f"分析师认为，{name}的研发投入在{2000 + i}年达到了新的高度！这是否意味着行业格局的变化？目前还不清楚。"
    for i, name in enumerate(COMPANIES)
) + "\n\n小米公司由雷军于2010年4月6日在北京创立。\n"


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.fixture(scope="module")
def cjk_corpus(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("cjk_corpus")
    (corpus / "zh.txt").write_text(ZH, encoding="utf-8")
    (corpus / "mixed.txt").write_text(MIXED, encoding="utf-8")
    (corpus / "zh_long.txt").write_text(LONG, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def cjk_engine(cjk_corpus, tmp_path_factory):
    from qa import get_engine
    from qa.embed import DEFAULT_MODEL
    from qa.index import build_index

    index = tmp_path_factory.mktemp("cjk_index")
    build_index(cjk_corpus, index, DEFAULT_MODEL)
    return get_engine(cjk_corpus, index)


# --- tokens ------------------------------------------------------------------------------

def test_a_cjk_run_becomes_overlapping_bigrams_and_a_lone_letter_stays_whole():
    assert words("百度的创始人") == ["百度", "度的", "的创", "创始", "始人"]
    assert words("ByteDance（字节跳动）was founded in 2012年") == [
        "bytedance", "字节", "节跳", "跳动", "was", "founded", "in", "2012", "年"]
    # Question scaffolding ("是谁", who) is a stopword, as "who" is in English.
    assert tokenize("百度的创始人是谁？") == ["百度", "度的", "的创", "创始", "始人", "人是"]
    assert set(tokenize("百度的创始人是谁？")) < set(tokenize("百度的创始人是李彦宏。"))


def test_full_width_digits_and_letters_are_read_as_ascii():
    assert tokenize("Ｈｕａｗｅｉ employees in ２０２１？") == tokenize("Huawei employees in 2021?")
    assert tokenize("百度２０１９年的总收入") == tokenize("百度2019年的总收入")


def test_english_words_and_counts_are_unchanged():
    text = "Baidu filed 5,712 patents – COVID19 and 5G; e.g. Jack Ma’s Alibaba."
    assert words(text) == ["baidu", "filed", "5712", "patents", "covid", "19", "and", "5g", "e", "g",
                           "jack", "ma", "s", "alibaba"]
    assert word_count(text) == len(text.split())


def test_a_cjk_letter_counts_as_part_of_a_word_and_punctuation_as_none():
    assert word_count("百度的创始人是李彦宏。") == pytest.approx(6.0)  # 10 letters x 0.6
    assert word_count("ByteDance（字节跳动）was founded") == pytest.approx(3 + 4 * 0.6)


# --- sentences ---------------------------------------------------------------------------

def test_cjk_terminal_punctuation_ends_a_sentence_without_a_space_after_it():
    assert sentences(MIXED) == [
        "Huawei Technologies (华为技术有限公司) is headquartered in Shenzhen (深圳).",
        "In 2021, Huawei employed about 195,000 people worldwide.",
        "ByteDance（字节跳动）was founded by Zhang Yiming（张一鸣）in 2012。",
        "Its flagship app Douyin（抖音）had 600 million daily active users in August 2020！",
    ]
    assert sentences("阿里巴巴旗下有淘宝、天猫和支付宝等业务！你知道菜鸟网络吗？菜鸟网络是阿里巴巴的物流平台。") == [
        "阿里巴巴旗下有淘宝、天猫和支付宝等业务！", "你知道菜鸟网络吗？", "菜鸟网络是阿里巴巴的物流平台。"]


def test_closing_quotes_stay_with_their_sentence_and_semicolons_do_not_split():
    assert sentences("他说：“我们会成功。”然后离开了。Tencent operates WeChat；the app is big。") == [
        "他说：“我们会成功。”", "然后离开了。", "Tencent operates WeChat；the app is big。"]
    assert sentences("Huawei is big. 华为很大。") == ["Huawei is big.", "华为很大。"]


def test_a_long_cjk_line_is_cut_after_its_commas_into_pieces_within_the_cap():
    clause = "公司表示这一举措将帮助百度扩大市场份额并提升用户体验"  # 26 letters
    line = "，".join([clause] * 12) + "。"
    spans = sentence_spans(line)
    pieces = [line[a:b] for a, b in spans]
    assert "".join(pieces) == line  # nothing lost: pieces are cut between letters
    assert len(pieces) == 3 and all(p.endswith(("，", "。")) for p in pieces)
    assert all(word_count(p) <= MAX_SENTENCE_WORDS for p in pieces)


# --- through the real index ----------------------------------------------------------------

@pytest.mark.slow
def test_a_chinese_question_is_answered_from_a_chinese_sentence(cjk_engine):
    ans = cjk_engine.ask("百度的创始人是谁？", k=1)
    assert not ans.abstained and ans.answer == "百度的创始人是李彦宏。", ans
    ans = cjk_engine.ask("小米是谁创立的？", k=1)
    assert not ans.abstained and ans.answer == "小米公司由雷军于2010年4月6日在北京创立。", ans


@pytest.mark.slow
def test_a_mixed_question_finds_the_sentence_naming_the_company_in_chinese(cjk_engine):
    ans = cjk_engine.ask("Who founded 字节跳动?", k=1)
    assert ans.answer == "ByteDance（字节跳动）was founded by Zhang Yiming（张一鸣）in 2012。", ans


@pytest.mark.slow
def test_indexed_sentences_of_mixed_text_are_exact_slices(cjk_engine, cjk_corpus):
    from qa.ingest import load_corpus

    store = cjk_engine.store
    docs = {d.doc_id: d for d in load_corpus(cjk_corpus)}
    found = []
    for i in range(store.n_chunks):
        chunk = store.chunk(i)
        text = docs[chunk.doc_id].text
        assert text[chunk.start:chunk.end] == chunk.text
        for a, b in chunk.sentences:
            assert text[a:b] == text[a:b].strip() and text[a:b]
            if chunk.doc_id == "mixed.txt":
                found.append(text[a:b])
    assert "ByteDance（字节跳动）was founded by Zhang Yiming（张一鸣）in 2012。" in found
    assert "Its flagship app Douyin（抖音）had 600 million daily active users in August 2020！" in found
    ans = cjk_engine.ask("When was ByteDance founded?", k=1)
    cite = ans.citations[0]
    assert cite.text[cite.answer_start:cite.answer_end] == ans.answer


@pytest.mark.slow
def test_a_long_chinese_document_is_chunked_into_passages_the_model_can_read(cjk_engine):
    from qa.embed import DEFAULT_MODEL, load_model

    store = cjk_engine.store
    chunks = [store.chunk(i) for i in range(store.n_chunks)]
    long = [c for c in chunks if c.doc_id == "zh_long.txt"]
    assert len(long) >= len(LONG) // 200  # was one chunk of the whole document
    tokenizer = load_model(DEFAULT_MODEL).tokenizer
    for c in long:
        assert word_count(c.text) <= 100 or len(c.sentences) <= 2
        assert len(tokenizer(c.text)["input_ids"]) <= 256  # the model's input limit


@pytest.mark.slow
def test_full_width_digits_in_a_question_match_the_documents_digits(cjk_engine):
    ans = cjk_engine.ask("How many people did Huawei employ in ２０２１？", k=1)
    assert ans.answer == "In 2021, Huawei employed about 195,000 people worldwide.", ans
    ans = cjk_engine.ask("百度２０１９年的总收入是多少？", k=1)
    assert ans.answer == "2019年，百度的总收入为1074亿元人民币。", ans


@pytest.mark.slow
def test_cjk_terms_are_not_typo_corrected(cjk_engine):
    question = "阿里巴巴的物流平台叫什么"
    assert cjk_engine.retriever.parse(question).terms == tuple(dict.fromkeys(tokenize(question)))

