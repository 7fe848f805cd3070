"""The search index's parts without a browser: how words are written for Pagefind, the search
documents, shards, the lexicon, and which Pagefind builds them."""
from __future__ import annotations

import gzip
import json
import stat
from datetime import date, timedelta

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import pagefind
from sitegen.errors import BuildError
from sitegen.lexicon import lexicon_files, ranges
from sitegen.searchdocs import body_blocks, document, document_keys, vocabulary_page
from sitegen.searchtext import MARK, STROKE, Glossary, fold, keys, search_text, words
from sitegen.shards import plan_shards

from .conftest import REPO

M, S = MARK, STROKE
GLOSSARY = Glossary(yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))["glossary"])


# --- words written for Pagefind -------------------------------------------------------------------

def test_every_word_ends_with_the_mark_and_đ_is_written_as_d_with_a_mark():
    text, found = search_text("Đại hội đoàn viên, năm 2019.", GLOSSARY)
    assert text == f"D{S}ại{M} hội{M} d{S}oàn{M} viên{M}, năm{M} 2019{M}."
    assert found == {"dai", "hoi", "doan", "vien", "nam", "2019"}
    assert fold("Đại HỘI") == "dai hoi" and keys("Đại HỘI") == {"dai", "hoi"}


def test_words_joined_by_other_than_ascii_punctuation_are_parted_with_backticks():
    # Pagefind parts a token only at ASCII punctuation: "2019–2020" would give neither year alone
    text, found = search_text("năm 2019–2020, lao–động, COVID-19", GLOSSARY)
    assert text == f"năm{M} 2019{M}`–`2020{M}, lao{M}`–`d{S}ộng{M}, COVID{M}-19{M}"
    assert {"2019", "2020", "lao", "dong", "covid", "19"} <= found


def test_glossary_phrases_carry_their_abbreviation_both_ways():
    text, found = search_text("Công đoàn Viên chức tỉnh và CĐVC; Tổng Liên đoàn Lao động Việt Nam.", GLOSSARY)
    cdvc = f"{{cdvc{M}}}-"
    assert text.startswith(f"{cdvc}Công{M} {cdvc}d{S}oàn{M} {cdvc}Viên{M} {cdvc}chức{M} tỉnh{M} và{M} CD{S}VC{M};")
    # nested phrases: "Liên đoàn Lao động" inside the full name of the TLĐ
    assert f"{{ldld{M}}}-{{tld{M}}}-Liên{M}" in text and f"{{tld{M}}}-Tổng{M}" in text
    assert {"cdvc", "tld", "ldld"} <= found
    # written in several parts, an abbreviation is a phrase too
    assert "ccvcld" in search_text("CC,VC,LĐ tham gia", GLOSSARY)[1]
    # a phrase does not run on into the next block
    assert "cdvc" not in search_text("Công đoàn\nViên chức", GLOSSARY)[1]


def test_a_query_reads_phrases_as_their_abbreviation():
    query = [fold(w) for w in words("Liên đoàn lao động tỉnh và công đoàn viên chức")]
    assert GLOSSARY.query_keys(query) == [("ldld", True), ("tinh", False), ("va", False), ("cdvc", True)]
    assert GLOSSARY.query_keys(["cc", "vc", "ld"]) == [("ccvcld", True)]
    assert GLOSSARY.query_keys(["doan", "vien"]) == [("doan", False), ("vien", False)]


# --- search documents -----------------------------------------------------------------------------

def test_body_text_blocks():
    body = ('<p>Đoạn <strong>một</strong> &amp; hai.</p><h2 id="x">Tiêu đề</h2><figure><img src="a.jpg" alt="Ảnh">'
            '<figcaption>Chú thích</figcaption></figure><ul><li>Mục 1</li><li>Mục 2</li></ul>'
            '<script>bad()</script><table><tr><td>Ô</td></tr></table>')
    assert body_blocks(body) == [("p", "Đoạn một & hai."), ("h2", "Tiêu đề"), ("p", "Chú thích"),
                                 ("p", "Mục 1"), ("p", "Mục 2"), ("p", "Ô")]


def test_a_document_lists_its_keys_and_the_vocabulary_page_holds_them():
    text, keys = document("Đại hội", [("p", "Công đoàn <Viên> chức & CĐVC")], GLOSSARY,
                    filters={"level": ["Cấp tỉnh"], "topic": ["Thi đua", "Nữ công, gia đình"]},
                    sort_date=1577235600, shown_date="25/12/2019", image="/anh/x-480.webp")
    assert '<span data-pagefind-filter="kind">article</span>' in text
    assert '<span data-pagefind-filter="topic">Nữ công, gia đình</span>' in text
    assert '<span data-pagefind-sort="date">1577235600</span>' in text
    assert f"<p>{{cdvc{M}}}-Công{M} {{cdvc{M}}}-d{S}oàn{M} &lt;{{cdvc{M}}}-Viên{M}&gt;" in text
    assert document_keys(text) == keys == sorted({"dai", "hoi", "cong", "doan", "vien", "chuc", "cdvc"})
    page = vocabulary_page(document_keys(text))
    assert f"<p>cdvc{M} chuc{M} cong{M} dai{M} doan{M} hoi{M} vien{M}</p>" in page and "kind" not in page


# --- shards ---------------------------------------------------------------------------------------

def dated(counts: dict[date, int]) -> list[tuple[date, str]]:
    return [(day, f"{day.isoformat()}#{n}") for day, count in counts.items() for n in range(count)]


def test_a_year_is_a_shard_until_it_is_too_big():
    items = dated({date(2019, 3, 1): 3, date(2020, 1, 5): 2, date(2020, 12, 9): 2})
    shards = plan_shards(items, 10)
    assert [(s.id, len(s.members)) for s in shards] == [("2020", 4), ("2019", 3)]
    assert (shards[0].first, shards[0].last) == (date(2020, 1, 5), date(2020, 12, 9))


def test_a_big_year_is_cut_into_months_days_and_counts():
    counts = {date(2025, m, 1): 4 for m in range(1, 13)}
    counts[date(2025, 6, 2)] = 3                     # June: 7, over the limit of 5
    counts[date(2025, 6, 3)] = 12                    # one day over the limit
    shards = plan_shards(dated(counts), 5)
    ids = [s.id for s in shards]
    assert ids == ["2025-12", "2025-11", "2025-10", "2025-09", "2025-08", "2025-07", "2025-06-03.3", "2025-06-03.2",
                   "2025-06-03", "2025-06-02", "2025-06-01", "2025-05", "2025-04", "2025-03", "2025-02", "2025-01"]
    assert [len(s.members) for s in shards if s.id.startswith("2025-06")] == [2, 5, 5, 3, 4]
    # a day cut by count keeps its order: the first five of June 3 are the oldest
    assert shards[8].members == tuple(f"2025-06-03#{n}" for n in range(5))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3 * 365), st.integers(1, 30)), max_size=40), st.integers(1, 40))
def test_shards_hold_every_article_once_newest_first_within_the_limit(days, limit):
    start = date(2023, 1, 1)
    counts: dict[date, int] = {}
    for offset, count in days:
        day = start + timedelta(days=offset)
        counts[day] = counts.get(day, 0) + count
    items = dated(dict(sorted(counts.items())))
    shards = plan_shards(items, limit)
    members = [m for s in shards for m in s.members]
    assert sorted(members) == sorted(key for _, key in items) and len(set(members)) == len(members)
    assert len({s.id for s in shards}) == len(shards)
    assert all(newer.first >= older.last for newer, older in zip(shards, shards[1:]))
    for shard in shards:
        assert len(shard.members) <= limit, shard.id
    assert plan_shards(items, limit) == shards


# --- the lexicon ----------------------------------------------------------------------------------

def test_the_lexicon_says_which_shards_hold_each_word(monkeypatch):
    monkeypatch.setattr("sitegen.lexicon.WORDS_PER_FILE", 2)
    index, files = lexicon_files([["cong", "doan"], ["cong", "xa"], ["cong", "doan", "moi"]])
    assert [first for first, _ in index] == ["", "moi"]          # cong doan | moi xa
    found = {word: shards for name in files for word, shards in json.loads(files[name])}
    assert found == {"cong": "0-2", "doan": "0,2", "moi": "2", "xa": "1"}
    assert ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"


# --- agreement with Pagefind ----------------------------------------------------------------------

def test_pagefind_indexes_each_word_where_the_lexicon_says(site):
    """The lexicon is worked out from the documents, Pagefind's index from the same documents: each
    key a document lists must be a word Pagefind found in that article (not only on the
    shard's vocabulary page), or the page would search a shard for a word it then drops."""
    tricky = ("Đ Ư ĐBSCL TP.HCM, COVID-19; năm 2019–2020 (dự kiến) “Mái ấm” iPhone 25/12/2019 lao–động "
              "e-mail CC,VC,LĐ x_y Hà-Nội 3,5% ½ café Ðại ＡＢＣ 漢字 ngày-ngày")
    site.add("a.md", title='"Công đoàn Viên chức tỉnh (CĐVC)"', body=tricky)
    site.add("b.md", title='"Liên đoàn Lao động tỉnh"', date="2019-12-26", body="Đại hội LĐLĐ.")
    assert site.build().code == 0
    (bundles,) = site.root.glob(".cache/build-*.search/bundles")
    (docs,) = site.root.glob(".cache/build-*.search/docs")
    bundle = next(bundles.iterdir())
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta = pagefind.read(bundle / f"pagefind.{entry['languages']['vi']['hash']}.pf_meta")
    urls = [json.loads(gzip.decompress((bundle / f"fragment/{page[0]}.pf_fragment").read_bytes())[12:])["url"]
            for page in meta[1]]
    words_of: dict[str, set[str]] = {url: set() for url in urls}
    for _, _, chunk in meta[2]:
        for word in pagefind.read(bundle / f"index/{chunk}.pf_index")[0]:
            pages = {p[0] for p in _pages(word[1])} | {p[0] for v in (word[2] if len(word) > 2 else []) for p in _pages(v[1])}
            for page in pages:
                words_of[urls[page]].add(word[0])
    checked = 0
    for path in docs.rglob("index.html"):
        url = "/" + "/".join(path.relative_to(docs).parts[1:-1]) + "/"
        if url.startswith("/_"):
            continue
        wanted = {key + MARK for key in document_keys(path.read_text(encoding="utf-8"))}
        assert wanted - words_of[url] == set(), url
        checked += len(wanted)
    assert checked > 40


def _pages(encoded: list) -> list[tuple[int, list]]:
    """(page, locations) of a word's page list, whose page numbers are deltas."""
    out, page = [], 0
    for item in encoded:
        page += item[0]
        out.append((page, item[1]))
    return out


# --- which Pagefind -------------------------------------------------------------------------------

def fake_pagefind(tmp_path, version: str):
    path = tmp_path / f"pagefind-{version}"
    path.write_text(f"#!/bin/sh\necho pagefind {version}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_npm_pagefind_first_the_wheel_where_npm_is_absent(tmp_path, monkeypatch):
    pagefind._engine.cache_clear()
    monkeypatch.delenv("PORTAL_PAGEFIND", raising=False)
    if (REPO / "node_modules/@pagefind").is_dir():
        npm = pagefind.find_engine(tmp_path)              # the generator's own node_modules
        assert npm.source == "npm" and npm.version.startswith("1.6")
    monkeypatch.setenv("PORTAL_PAGEFIND", "pip")
    wheel = pagefind.find_engine(tmp_path)
    assert wheel.source == "pip" and wheel.version == "1.5.2" and str(wheel) == "Pagefind 1.5.2 (pip)"


def test_a_pagefind_that_will_not_do_is_named(tmp_path, monkeypatch):
    pagefind._engine.cache_clear()
    monkeypatch.setenv("PORTAL_PAGEFIND", str(fake_pagefind(tmp_path, "1.4.0")))
    with pytest.raises(BuildError, match="Pagefind 1.4.0 is too old"):
        pagefind.find_engine(tmp_path)
    monkeypatch.setenv("PORTAL_PAGEFIND", str(tmp_path / "missing"))
    with pytest.raises(BuildError, match="could not run Pagefind"):
        pagefind.find_engine(tmp_path)


def test_shard_size_is_checked(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text(encoding="utf-8") + "search:\n  shard_size: 5\n")
    site.add("a.md")
    result = site.build()
    assert result.code == 1 and "site.yaml: search.shard_size: expected a whole number of articles from 10 to 50000" \
        in result.err


@pytest.mark.parametrize("source", ["npm", "pip"])
def test_the_published_engine_waits_for_its_index_in_short_steps(tmp_path, monkeypatch, source):
    """Each Pagefind's pagefind.js polls every 50 ms for its index to be ready (the search page's
    first search is asked before it is); the build publishes it polling every 4 ms, and nothing
    else of it changed. Fails when a new Pagefind's code no longer has the line: look again."""
    pagefind._engine.cache_clear()
    monkeypatch.setenv("PORTAL_PAGEFIND", source)
    if source == "npm" and not (REPO / "node_modules/@pagefind").is_dir():
        pytest.fail("npm's Pagefind is missing: run bash scripts/install.sh")
    engine = pagefind.find_engine(tmp_path)
    pagefind._engine.cache_clear()
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<html lang="vi"><body><main data-pagefind-body><p>Đại hội công đoàn</p>'
                                     "</main></body></html>", encoding="utf-8")
    bundle = tmp_path / "bundle"
    pagefind.run(engine, site, bundle)
    shipped = (bundle / "pagefind.js").read_text(encoding="utf-8")
    assert shipped.count("await asyncSleep(50);}if(!this.raw_ptr)") == 1
    assert pagefind.tune_engine(bundle) is True
    tuned = (bundle / "pagefind.js").read_text(encoding="utf-8")
    assert tuned.count("await asyncSleep(4);}if(!this.raw_ptr)") == 1 and "asyncSleep(50);}if(!this.raw_ptr)" not in tuned
    assert tuned.replace("asyncSleep(4);}if(!this.raw_ptr)", "asyncSleep(50);}if(!this.raw_ptr)") == shipped
    assert pagefind.tune_engine(bundle) is False                  # once only: tuned, it is left alone


def test_an_engine_without_the_known_line_is_published_as_it_is(tmp_path):
    (tmp_path / "pagefind.js").write_text("export const x = 1;", encoding="utf-8")
    assert pagefind.tune_engine(tmp_path) is False
    assert (tmp_path / "pagefind.js").read_text(encoding="utf-8") == "export const x = 1;"
