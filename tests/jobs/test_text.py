"""Unit: normalisation and the unigram/bigram terms keyword search relies on."""

from __future__ import annotations

import pytest

from services.jobs.text import document_terms, grams, normalize, parse_query, term_keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｴﾝｼﾞﾆｱ", "えんじにあ"),  # half-width katakana, voiced marks joined
        ("エンジニア", "えんじにあ"),  # full-width katakana
        ("えんじにあ", "えんじにあ"),  # hiragana stays
        ("ＰＹＴＨＯＮ", "python"),  # full-width Latin, lower case
        ("Python", "python"),
        ("１２３４５", "12345"),  # full-width digits
        ("ﾊﾟｰﾄ", "ぱーと"),  # half-width semi-voiced mark and long vowel
        ("介護　福祉", "介護 福祉"),  # ideographic space
        ("㈱", "(株)"),  # compatibility characters
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_half_and_full_width_produce_the_same_terms() -> None:
    assert document_terms("ｼｽﾃﾑｴﾝｼﾞﾆｱ")[0] == document_terms("システムエンジニア")[0]
    assert document_terms("ＳＥ募集")[0] == document_terms("se募集")[0]


def test_grams_are_unigrams_and_bigrams_within_a_segment() -> None:
    assert grams("派遣") == {"派", "遣", "派遣"}
    terms, text = document_terms("営業 事務", None, "")
    assert set(terms) == {"営", "業", "営業", "事", "務", "事務"}
    assert "業事" not in terms  # no pair across white space
    assert text == "営業\n事務"


def test_digits_and_latin_make_bigrams_too() -> None:
    terms, _ = document_terms("Java2年")
    assert {"ja", "av", "va", "a2", "2年"} <= set(terms)


def test_term_keys() -> None:
    assert term_keys("介") == {"介"}
    assert term_keys("介護") == {"介護"}
    assert term_keys("えんじにあ") == {"えん", "んじ", "じに", "にあ"}


def test_parse_query_and_exclusions() -> None:
    q = parse_query("ｴﾝｼﾞﾆｱ　東京 －派遣 -派遣 東京")
    assert q.include == ("えんじにあ", "東京")
    assert q.exclude == ("派遣",)
    assert q.excluded_keys() == ["派遣"]  # two characters: exact at the index
    assert q.needs_check  # a five-character term
    assert not parse_query("東京 -派遣").needs_check
    assert parse_query("").empty and parse_query(None).empty


def test_exact_check_rejects_bigram_false_positives() -> None:
    q = parse_query("東京都")
    _, text = document_terms("東京の京都支店")  # holds 東京 and 京都, not 東京都
    assert set(term_keys("東京都")) <= set(document_terms("東京の京都支店")[0])
    assert not q.matches(text)
    assert q.matches(document_terms("東京都新宿区")[1])


def test_exclusion_checks_the_normalised_text() -> None:
    q = parse_query("エンジニア -ﾊｹﾝ")
    assert q.matches(normalize("システムエンジニア 正社員"))
    assert not q.matches(normalize("エンジニア（ハケン）"))
