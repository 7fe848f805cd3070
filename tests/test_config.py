"""site.yaml: typed, frozen, every error listed at once."""
import dataclasses

import pytest

from sitegen.config import load_config


def write(tmp_path, text):
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


GOOD = """\
title: Bản tin
base_url: https://example.org/portal
levels:
  - {key: tinh, name: Cấp tỉnh, description: LĐLĐ}
  - {key: co-so, name: Cơ sở}
organisation: {name: LĐLĐ tỉnh, address: Sóc Trăng}
pagination: {home: 5, listing: 12}
menu:
  - {title: Trang chủ, url: /}
"""


def test_good_config_is_typed_and_frozen(tmp_path):
    config, errors = write(tmp_path, GOOD)
    assert errors == []
    assert config.base_url == "https://example.org/portal/" and config.base_path == "/portal/"
    assert [lv.key for lv in config.levels] == ["tinh", "co-so"]
    assert config.level("tinh").description == "LĐLĐ"
    assert (config.home_size, config.page_size) == (5, 12)
    assert config.timezone == "Asia/Ho_Chi_Minh" and config.permalink == "{year}/{month}/{slug}/"
    assert config.menu[0].title == "Trang chủ"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.title = "x"


def test_every_error_is_listed(tmp_path):
    _, errors = write(tmp_path, """\
titel: Bản tin
base_url: example.org
timezone: Asia/Saigon_X
permalink: "{year}/{title}/{slug}"
levels:
  - {key: Cấp tỉnh, name: Cấp tỉnh}
  - {key: co-so}
  - {key: co-so, name: Cơ sở 2}
pagination: {home: 0}
organisation: {}
""")
    assert [str(e) for e in errors] == [
        "site.yaml: title: is required",
        'site.yaml: base_url: expected an absolute URL like "https://congdoan.example.vn/", got "example.org"',
        'site.yaml: timezone: unknown time zone "Asia/Saigon_X" (expected a name like "Asia/Ho_Chi_Minh")',
        "site.yaml: permalink: unknown placeholder {title}; use year, month, day, slug",
        "site.yaml: organisation.name: is required",
        'site.yaml: levels[0].key: must be an ASCII slug like "cap-tren-co-so", got "Cấp tỉnh"',
        "site.yaml: levels[1].name: is required",
        'site.yaml: levels[2].key: "co-so" is used by two levels',
        "site.yaml: pagination.home: expected a whole number from 1 to 1000, got 0",
        'site.yaml: titel: unknown key (did you mean "title"?)',
    ]


def test_missing_and_broken_files(tmp_path):
    config, errors = load_config(tmp_path)
    assert config is None and str(errors[0]) == "site.yaml: file: not found: a site needs a site.yaml beside content/"
    _, errors = write(tmp_path, "title: [unclosed\n")
    assert str(errors[0]).startswith("site.yaml:") and "invalid YAML" in str(errors[0])
    _, errors = write(tmp_path, "- a\n- b\n")
    assert str(errors[0]) == "site.yaml: file: expected a mapping of settings (key: value)"


def test_permalink_must_contain_slug(tmp_path):
    _, errors = write(tmp_path, GOOD + 'permalink: "{year}/"\n')
    assert str(errors[0]) == 'site.yaml: permalink: must contain "{slug}", e.g. "{year}/{month}/{slug}/"'


def test_glossary_and_aliases(tmp_path):
    config, errors = write(tmp_path, GOOD + 'glossary: {CĐVC: Công đoàn Viên chức}\ntopic_aliases: {Covid: "Covid-19"}\n')
    assert errors == [] and config.glossary == {"CĐVC": "Công đoàn Viên chức"}
    assert config.topic_aliases == {"Covid": "Covid-19"}
    _, errors = write(tmp_path, GOOD + 'glossary: {"CĐ VC": Công đoàn Viên chức}\n')
    assert [str(e) for e in errors] == ['site.yaml: glossary: "CĐ VC": an abbreviation is one word, without spaces']
    _, errors = write(tmp_path, GOOD + "glossary: [CĐVC]\n")
    assert [str(e) for e in errors] == ['site.yaml: glossary: expected a mapping of "ABBREVIATION: full form", got list']
