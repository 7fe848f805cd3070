"""Responsive images: variants, markup, cache, metadata, errors."""
from __future__ import annotations

import io
import re
import shutil

from PIL import Image

from sitegen import images as images_module

from .conftest import search_documents


def encoded(width: int, height: int, fmt: str = "JPEG", mode: str = "RGB", exif_orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new(mode, (width, height), (200, 30, 30, 128) if mode == "RGBA" else (11, 79, 138))
    options = {}
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        exif[0x8825] = {2: (10.0, 5.0, 0.0)}      # a GPS block: must not be published
        options["exif"] = exif.tobytes()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def test_variants_and_picture_markup(site):
    site.write("content/anh/lon.jpg", encoded(1600, 1000))
    site.write("content/anh/nho.png", encoded(400, 300, "PNG", "RGBA"))
    site.add("a.md", body='![Quang cảnh hội nghị](anh/lon.jpg "Chú thích")\n\nĐoạn văn.\n\n![Biểu đồ](anh/nho.png)\n')
    result = site.build()
    assert result.code == 0, result.err
    out = site.output / "anh"
    for name, width in [("lon-480.jpg", 480), ("lon-960.jpg", 960), ("lon-1440.jpg", 1440), ("lon.jpg", 1600),
                        ("lon-480.webp", 480), ("lon-960.webp", 960), ("lon-1440.webp", 1440), ("lon.webp", 1600)]:
        with Image.open(out / name) as image:
            assert image.width == width and image.height == round(1000 * width / 1600), name
            assert image.format == ("WEBP" if name.endswith("webp") else "JPEG")
    with Image.open(out / "nho.webp") as image:
        assert image.size == (400, 300) and image.mode == "RGBA"      # transparency kept
    assert not (out / "nho-480.png").exists()                         # never upscaled
    html = site.page("2019/12/hoi-nghi-cong-doan/")
    first = re.search(r"<figure><picture>(.*?)</picture><figcaption>Chú thích</figcaption>", html).group(1)
    assert ('<source sizes="(min-width: 44rem) 42rem, 100vw" srcset="/anh/lon-480.webp 480w, /anh/lon-960.webp 960w, '
            '/anh/lon-1440.webp 1440w, /anh/lon.webp 1600w" type="image/webp">') in first
    assert 'srcset="/anh/lon-480.jpg 480w, /anh/lon-960.jpg 960w, /anh/lon-1440.jpg 1440w, /anh/lon.jpg 1600w"' in first
    assert 'width="1600"' in first and 'height="1000"' in first and 'src="/anh/lon.jpg"' in first
    assert 'loading="lazy"' not in first                               # the first image loads at once
    second = re.search(r"<picture>(?:(?!</picture>).)*nho(?:(?!</picture>).)*</picture>", html, re.S).group(0)
    assert 'loading="lazy"' in second and 'width="400"' in second and 'height="300"' in second


def test_variants_are_cached(site, monkeypatch):
    site.write("content/anh/lon.jpg", encoded(1000, 500))
    site.add("a.md", body="![Ảnh](anh/lon.jpg)")
    calls = []
    real = images_module._encode
    monkeypatch.setattr(images_module, "_encode", lambda *a: (calls.append(a[1].path), real(*a)))
    assert site.build().code == 0
    assert sorted(calls) == ["anh/lon-480.jpg", "anh/lon-480.webp", "anh/lon-960.jpg", "anh/lon-960.webp",
                             "anh/lon.jpg", "anh/lon.webp"]
    calls.clear()
    for state in (site.root / ".cache").glob("*-*.*"):                # a full build, image cache kept
        if state.name.startswith(("inputs-", "build-")):
            shutil.rmtree(state) if state.is_dir() else state.unlink()
    assert site.build().code == 0
    assert calls == []                                                 # nothing recomputed
    site.write("content/anh/lon.jpg", encoded(1000, 400))             # the image changed
    assert site.build().code == 0
    assert len(calls) == 6
    with Image.open(site.output / "anh/lon-480.webp") as image:
        assert image.size == (480, 192)


def test_metadata_removed_and_orientation_applied(site):
    site.write("content/anh/xoay.jpg", encoded(600, 400, exif_orientation=6))   # camera held upright
    site.add("a.md", body="![Ảnh dọc](anh/xoay.jpg)")
    assert site.build().code == 0
    with Image.open(site.output / "anh/xoay.jpg") as image:
        assert image.size == (400, 600)
        assert not image.getexif()
    assert 'width="400"' in site.page("2019/12/hoi-nghi-cong-doan/")


def test_lead_image_from_front_matter(site):
    site.write("content/anh/dau.jpg", encoded(1200, 800))
    site.add("a.md", image="anh/dau.jpg", image_alt="Ảnh đầu bài", image_caption="Chú thích đầu bài")
    assert site.build().code == 0
    html = site.page("2019/12/hoi-nghi-cong-doan/")
    lead = html.split('<figure class="lead-image"')[1].split("</figure>")[0]
    assert '<source type="image/webp" srcset="/anh/dau-480.webp 480w, /anh/dau-960.webp 960w, /anh/dau.webp 1200w"' in lead
    assert 'alt="Ảnh đầu bài" width="1200" height="800"' in lead and "loading" not in lead
    # search results show the smallest rendition
    assert '<span data-pagefind-meta="image">/anh/dau-480.webp</span>' in search_documents(site.root)[
        "/2019/12/hoi-nghi-cong-doan/"]


def test_missing_alt_is_a_warning_and_strict_error(site):
    site.write("content/anh/x.jpg", encoded(100, 100))
    site.add("a.md", body="![](anh/x.jpg)")
    result = site.build()
    assert result.code == 0
    assert 'warning: content/a.md: body: image "/anh/x.jpg" has no alternative text' in result.err
    assert site.build("--strict").code == 1


def test_broken_and_huge_images_are_errors(site, monkeypatch):
    site.write("content/anh/hong.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    site.add("a.md", body="![Ảnh](anh/hong.jpg)")
    result = site.build()
    assert result.code == 1
    assert result.lines[0].startswith("content/anh/hong.jpg: image: cannot be read as an image:")
    site.write("content/anh/hong.jpg", encoded(300, 300))
    monkeypatch.setattr(images_module, "MAX_PIXELS", 50_000)
    result = site.build()
    assert result.lines == ["content/anh/hong.jpg: image: is 300×300 pixels; resize it below 0 megapixels"]
