"""Front matter: splitting, safe YAML, one parser per field."""
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.frontmatter import (FrontMatterError, parse_bool, parse_front_matter, parse_image, parse_names,
                                 parse_slug, parse_text, parse_topics, split)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LEVELS = ("trung-uong", "tinh", "cap-tren-co-so", "co-so")


def parse(data):
    return parse_front_matter(data, "content/a.md", LEVELS, TZ)


def test_split_returns_data_body_and_body_line():
    data, body, line = split("---\ntitle: A\ndate: 2019-12-25\n---\n\nBody\n")
    assert data == {"title": "A", "date": "2019-12-25"}
    assert body.strip() == "Body"
    assert line == 5


@pytest.mark.parametrize("text, message", [
    ("title: A\n", 'missing: the file must start with a line "---"'),
    ("---\ntitle: A\ndate: 2019-12-25\n", 'not closed: add a line "---" after the last field'),
    ("---\ntitle: [A\n---\nx", "invalid YAML"),
    ("---\n- a\n- b\n---\nx", 'expected fields like "title: …"'),
    ("---\ntitle: A\ntitle: B\n---\nx", 'key "title" is given twice'),
    ("---\na: &x [1]\nb: *x\n---\nx", "aliases (*name) are not allowed"),
    ("---\na: &x \"chuỗi\"\nb: *x\n---\nx", "aliases (*name) are not allowed"),
    ("---\na: &x [\"x\", y]\nb: *x\n---\nx", "aliases (*name) are not allowed"),
    ("---\na: [&x \"x\", *x]\n---\nx", "aliases (*name) are not allowed"),
    ("---\na: &x plain\nb: [*x]\n---\nx", "aliases (*name) are not allowed"),
    ("---\n&x k: v\nb: *x\n---\nx", "aliases (*name) are not allowed"),
    ("---\na: &x k\n*x : v\n---\nx", "aliases (*name) are not allowed"),
    ("---\nt: !!python/object/apply:os.system [echo]\n---\nx", "YAML tags that build objects"),
])
def test_split_errors(text, message):
    with pytest.raises(FrontMatterError) as err:
        split(text)
    assert message in str(err.value)
    assert err.value.field == "front matter"


def test_yaml_error_line_is_line_of_file():
    with pytest.raises(FrontMatterError) as err:
        split("---\ntitle: A\ndate: 2019-12-25\ntitle: B\n---\n")
    assert err.value.line == 4


def test_dates_stay_text_for_our_parser():
    data, _, _ = split("---\ndate: 2019-12-25\n---\n")
    assert data["date"] == "2019-12-25"


def test_text_parser():
    assert parse_text("  Hội   nghị ") == "Hội nghị"
    assert parse_text(2020) == "2020"
    assert parse_text("Ðoàn") == "Đoàn"
    for bad in (["a"], {"a": 1}, True):
        with pytest.raises(ValueError, match="expected text"):
            parse_text(bad)


def test_names_parser_accepts_string_or_list():
    assert parse_names("Văn Huỳnh") == ("Văn Huỳnh",)
    assert parse_names(["Hải Yến", "M.Linh", "Hải Yến"]) == ("Hải Yến", "M.Linh")


def test_topics_parser_list_or_comma_string():
    assert parse_topics("Thi đua, Nữ công ,, ") == ("Thi đua", "Nữ công")
    assert parse_topics(["Thi đua", "thi đua", "Hội nghị"]) == ("Thi đua", "Hội nghị")
    with pytest.raises(ValueError, match="expected a list like"):
        parse_topics({"a": 1})
    with pytest.raises(ValueError, match="at most 50"):
        parse_topics([f"t{i}" for i in range(51)])


@pytest.mark.parametrize("bad", ["Hoi Nghi", "a/b", "../x", "a\\b", "hội-nghị", "-x-"])
def test_slug_parser_rejects_non_slugs(bad):
    with pytest.raises(ValueError, match="expected lowercase ASCII"):
        parse_slug(bad)


def test_slug_parser_accepts_slugs():
    assert parse_slug("hoi-nghi-2019") == "hoi-nghi-2019"


def test_bool_parser():
    assert parse_bool(True) is True
    with pytest.raises(ValueError, match="expected true or false, got 'yes please'"):
        parse_bool("yes please")


@pytest.mark.parametrize("bad", ["../secret.jpg", "a/../../b.jpg", "C:\\x.jpg", "file:///etc/passwd", "javascript:alert(1)"])
def test_image_parser_rejects_escapes_and_schemes(bad):
    with pytest.raises(ValueError):
        parse_image(bad)


def test_image_parser_accepts_relative_and_https():
    assert parse_image("anh/x.jpg") == "anh/x.jpg"
    assert parse_image("https://example.org/x.jpg") == "https://example.org/x.jpg"


def test_required_fields_are_all_reported():
    fm, problems = parse({})
    assert fm is None
    assert [str(p) for p in problems] == [
        "content/a.md: title: is required", "content/a.md: date: is required", "content/a.md: level: is required"]


def test_unknown_key_warns_with_suggestion():
    fm, problems = parse({"title": "A", "date": "2019-12-25", "level": "tinh", "topic": ["x"], "zzz": 1})
    assert fm is not None
    assert [(p.severity, str(p)) for p in problems] == [
        ("warning", 'content/a.md: topic: unknown key (did you mean "topics"?)'),
        ("warning", "content/a.md: zzz: unknown key"),
    ]


def test_unknown_level_lists_levels():
    _, problems = parse({"title": "A", "date": "2019-12-25", "level": "tinhh"})
    assert str(problems[0]) == ('content/a.md: level: unknown level "tinhh"; did you mean "tinh"? '
                                "expected one of: trung-uong, tinh, cap-tren-co-so, co-so")


def test_full_front_matter():
    fm, problems = parse({"title": "Hội nghị", "date": "25/12/2019 19:10", "level": "tinh",
                          "author": ["A", "B"], "unit": "LĐLĐ tỉnh", "topics": "Thi đua, Nữ công",
                          "summary": "Tóm tắt", "image": "anh/x.jpg", "image_alt": "Ảnh", "image_caption": "Chú thích",
                          "slug": "hoi-nghi", "draft": False, "updated": "26/12/2019"})
    assert problems == []
    assert fm.authors == ("A", "B") and fm.topics == ("Thi đua", "Nữ công")
    assert fm.date.iso() == "2019-12-25T19:10:00+07:00" and fm.updated.iso() == "2019-12-26"
    with pytest.raises(AttributeError):
        fm.title = "x"  # frozen


def test_updated_before_date_is_a_warning():
    fm, problems = parse({"title": "A", "date": "2019-12-25", "level": "tinh", "updated": "2019-12-01"})
    assert fm is not None and problems[0].severity == "warning" and problems[0].field == "updated"


# front matter as editors write it, and the odd things YAML allows
_SCALARS = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False),
                     st.sampled_from(["2019-12-25", "25/12/2019 19:10", "yes", "null", "~", "0x1f", "1e3", "<<"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                       max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=8), st.sampled_from([None, True, False]))
def test_front_matter_built_directly_equals_pyyaml(data, flow):
    """The loader builds string values and lists of strings itself; for any document it gives
    what PyYAML's constructor gives."""
    import yaml

    from sitegen.yamlload import _Loader, load_yaml

    class Stock(_Loader):
        def _value(self, node, constructed, deep):
            return self.construct_object(node, deep)

    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    assert load_yaml(text) == yaml.load(text, Loader=Stock)  # noqa: S506 - a SafeLoader
