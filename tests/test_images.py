"""Responsive images: renditions, markup, cache, only what is used, metadata, colour, errors."""
from __future__ import annotations

import io
import re
import struct

import pytest
from PIL import Image

from sitegen import images as images_module
from sitegen import imaging

from .conftest import search_documents
from .imagemaker import SRGB_BLUE, SRGB_GREEN, SRGB_RED, png, rgb_profile


def encoded(width: int, height: int, fmt: str = "JPEG", mode: str = "RGB", exif_orientation: int | None = None,
            colour=None, **options) -> bytes:
    buffer = io.BytesIO()
    if colour is None:
        colour = (200, 30, 30, 128) if mode == "RGBA" else (0, 255, 255, 0) if mode == "CMYK" else (11, 79, 138)
    image = Image.new(mode, (width, height), colour)
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        exif[0x8825] = {2: (10.0, 5.0, 0.0)}      # a GPS block: must not be published
        options["exif"] = exif.tobytes()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photos_made(result) -> int:
    """How many photos the build made renditions of (its summary line says so)."""
    found = re.search(r"(\d+) photo\(s\) resized", result.out)
    return int(found.group(1)) if found else 0


def test_renditions_and_picture_markup(site):
    site.write("content/anh/lon.jpg", encoded(2000, 1250))
    site.write("content/anh/nho.png", encoded(400, 300, "PNG", "RGBA"))
    site.add("a.md", body='![Quang cảnh hội nghị](anh/lon.jpg "Chú thích")\n\nĐoạn văn.\n\n![Biểu đồ](anh/nho.png)\n')
    result = site.build()
    assert result.code == 0, result.err
    assert "photos: 2…" in result.out and photos_made(result) == 2          # a stage of its own, counted
    out = site.output / "anh"
    for name, width, fmt in [("lon-480.webp", 480, "WEBP"), ("lon-960.webp", 960, "WEBP"),
                             ("lon-1440.webp", 1440, "WEBP"), ("lon.jpg", 1600, "JPEG")]:
        with Image.open(out / name) as image:
            assert image.width == width and image.height == round(1250 * width / 2000), name
            assert image.format == fmt
    # the original's format once, at the largest size: no narrower JPEGs, no WebP wider than the srcset
    assert sorted(p.name for p in out.glob("lon*")) == ["lon-1440.webp", "lon-480.webp", "lon-960.webp", "lon.jpg"]
    with Image.open(out / "nho.webp") as image:
        assert image.size == (400, 300) and image.mode == "RGBA"      # transparency kept
    assert sorted(p.name for p in out.glob("nho*")) == ["nho.png", "nho.webp"]     # never upscaled
    html = site.page("2019/12/hoi-nghi-cong-doan/")
    first = re.search(r"<figure><picture>(.*?)</picture><figcaption>Chú thích</figcaption>", html).group(1)
    assert ('<source sizes="(min-width: 44rem) 42rem, 100vw" srcset="/anh/lon-480.webp 480w, /anh/lon-960.webp 960w, '
            '/anh/lon-1440.webp 1440w" type="image/webp">') in first
    img = re.search(r"<img [^>]*>", first).group(0)
    assert 'src="/anh/lon.jpg"' in img and 'width="1600"' in img and 'height="1000"' in img
    assert "srcset" not in img                                          # the fallback: one file, every browser
    assert 'loading="lazy"' not in first                               # the first image loads at once
    second = re.search(r"<picture>(?:(?!</picture>).)*nho(?:(?!</picture>).)*</picture>", html, re.S).group(0)
    assert 'loading="lazy"' in second and 'width="400"' in second and 'height="300"' in second
    assert 'srcset="/anh/nho.webp 400w"' in second


def test_a_webp_original_is_its_own_fallback(site):
    site.write("content/anh/w.webp", encoded(1000, 500, "WEBP"))
    site.add("a.md", body="![Ảnh](anh/w.webp)")
    assert site.build().code == 0
    assert sorted(p.name for p in (site.output / "anh").glob("w*")) == ["w-480.webp", "w-960.webp", "w.webp"]
    html = site.page("2019/12/hoi-nghi-cong-doan/")
    assert "<source" not in html
    assert 'srcset="/anh/w-480.webp 480w, /anh/w-960.webp 960w, /anh/w.webp 1000w"' in html


def test_renditions_are_made_once_per_photo_bytes_and_settings(site, monkeypatch):
    site.write("content/anh/lon.jpg", encoded(1000, 500))
    site.add("a.md", body="![Ảnh](anh/lon.jpg)\n\nMột đoạn.")
    assert photos_made(site.build()) == 1
    cached = sorted(p.name for p in (site.root / ".cache/images").iterdir())
    assert len(cached) == 4 and all(imaging.SETTINGS in name for name in cached)
    site.add("a.md", body="![Ảnh](anh/lon.jpg)\n\nMột đoạn đã sửa.")        # an article edit
    result = site.build()
    assert result.code == 0 and photos_made(result) == 0 and "photos:" not in result.out
    (site.root / "content/anh/lon.jpg").rename(site.root / "content/anh/doi-ten.jpg")   # same bytes, new name
    site.add("a.md", body="![Ảnh](anh/doi-ten.jpg)")
    result = site.build()
    assert result.code == 0 and photos_made(result) == 0
    assert (site.output / "anh/doi-ten-480.webp").exists() and not (site.output / "anh/lon.jpg").exists()
    site.write("content/anh/doi-ten.jpg", encoded(1000, 400))               # the photo changed
    assert photos_made(site.build()) == 1
    with Image.open(site.output / "anh/doi-ten-480.webp") as image:
        assert image.size == (480, 192)
    # the old photo's renditions are pruned; the new ones stay
    assert sorted(p.name for p in (site.root / ".cache/images").iterdir()) != cached
    assert len(list((site.root / ".cache/images").iterdir())) == 4
    monkeypatch.setattr(imaging, "SETTINGS", "0ther")                         # new encoder settings
    monkeypatch.setattr("sitegen.stages.photos.SETTINGS", "0ther")
    site.add("a.md", body="![Ảnh](anh/doi-ten.jpg)\n\nSửa lại.")      # (else nothing changed: no build)
    assert photos_made(site.build()) == 1
    assert all("0ther" in p.name for p in (site.root / ".cache/images").iterdir())


def test_only_used_images_are_published_and_check_names_the_others(site):
    for name in ("bai.jpg", "dau.jpg", "thua.jpg", "banner.jpg", "chia-se.jpg"):
        site.write(f"content/anh/{name}", encoded(600, 400))
    site.write("content/anh/thua.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    site.write("content/anh/dung.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    site.write("content/tai-lieu.pdf", b"%PDF-1.4 not images: always published")
    site.add("a.md", image="anh/dau.jpg", image_alt="Ảnh đầu",
             body="![Ảnh](anh/bai.jpg)\n\n[Sơ đồ](anh/dung.svg)")
    site.write("templates/partials/footer.html",
               (site.root / "templates/partials/footer.html").read_text(encoding="utf-8")
               + '\n<img src="{{ url("anh/banner.jpg") }}" alt="">\n')
    site.write("site.yaml", (site.root / "site.yaml").read_text(encoding="utf-8") + "# ảnh: anh/chia-se.jpg\n")
    result = site.build()
    assert result.code == 0, result.err
    assert photos_made(result) == 4
    published = {p.name for p in (site.output / "anh").iterdir()}
    for used in ("bai.jpg", "dau.jpg", "banner.jpg", "chia-se.jpg", "dung.svg"):
        assert used in published
    assert not {"thua.jpg", "thua-480.webp", "thua.webp", "thua.svg"} & published
    assert (site.output / "tai-lieu.pdf").exists()
    check = site.build_cmd("check")
    assert check.code == 0
    unused = [line for line in check.err.splitlines() if "is not used" in line]
    assert [line.split(":")[1].strip() for line in unused] == ["content/anh/thua.jpg", "content/anh/thua.svg"]
    assert unused[0].startswith("warning: content/anh/thua.jpg: image: is not used by any article")


def test_metadata_removed_and_orientation_applied(site):
    site.write("content/anh/xoay.jpg", encoded(600, 400, exif_orientation=6, colour=(255, 255, 255)))
    site.add("a.md", body="![Ảnh dọc](anh/xoay.jpg)")
    assert site.build().code == 0
    for name in ("xoay.jpg", "xoay.webp"):
        with Image.open(site.output / "anh" / name) as image:
            assert image.width < image.height, name           # turned upright
            assert not image.getexif() and "icc_profile" not in image.info, name   # no GPS, nothing
    assert 'width="400"' in site.page("2019/12/hoi-nghi-cong-doan/")


def test_orientation_is_applied_to_the_pixels_not_just_the_size(site):
    image = Image.new("RGB", (600, 400), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 300, 400))                 # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6                                            # shown turned 90° clockwise
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    site.write("content/anh/xoay.jpg", buffer.getvalue())
    site.add("a.md", body="![Ảnh](anh/xoay.jpg)")
    assert site.build().code == 0
    with Image.open(site.output / "anh/xoay.jpg") as out:
        top, bottom = out.convert("RGB").getpixel((200, 50)), out.convert("RGB").getpixel((200, 550))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60   # red on top after the turn


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
    assert result.lines[0].startswith("content/anh/hong.jpg: image: cannot be read as an image (")
    assert "Traceback" not in result.err
    site.write("content/anh/hong.jpg", encoded(300, 300))
    monkeypatch.setattr(images_module, "MAX_PIXELS", 50_000)
    result = site.build()
    assert result.lines == ["content/anh/hong.jpg: image: is 300×300 pixels; resize it below 0 megapixels"]


def test_a_decompression_bomb_is_refused_before_it_is_decoded(site):
    # a 40,000 × 40,000 PNG header (1.6 gigapixels) over a few bytes of data
    site.write("content/anh/bom.png", png(40_000, 40_000, 8, 2, [], compressed=b"x\x9c\x03\x00\x00\x00\x00\x01"))
    site.add("a.md", body="![Ảnh](anh/bom.png)")
    result = site.build()
    assert result.code == 1 and "Traceback" not in result.err
    assert result.lines == ["content/anh/bom.png: image: has too many pixels to be opened safely (a decompression "
                            "bomb?); resize it below 60 megapixels"]


@pytest.mark.parametrize("photos", [1, 3])          # one photo: made in the build process; three: by workers
def test_a_truncated_photo_is_an_error_and_output_is_kept(site, photos):
    site.write("content/anh/tot.jpg", encoded(800, 600))
    site.add("a.md", body="![Ảnh](anh/tot.jpg)")
    assert site.build().code == 0
    before = {p.relative_to(site.output): p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    whole = encoded(900, 600, colour=(90, 140, 30), quality=95, progressive=False)
    site.write("content/anh/cut.jpg", whole[: len(whole) // 2])         # an interrupted upload
    for n in range(photos - 1):
        site.write(f"content/anh/them-{n}.jpg", encoded(700, 500))
    body = "![Ảnh](anh/tot.jpg)\n\n![Ảnh cắt](anh/cut.jpg)" + "".join(
        f"\n\n![Ảnh {n}](anh/them-{n}.jpg)" for n in range(photos - 1))
    site.add("a.md", body=body)
    result = site.build()
    assert result.code == 1 and "Traceback" not in result.err
    assert result.lines == ["content/anh/cut.jpg: image: is truncated (the file ends before the picture does: an "
                            "interrupted upload or copy?); copy it again from the original"]
    after = {p.relative_to(site.output): p.read_bytes() for p in site.output.rglob("*") if p.is_file()}
    assert after == before                                              # the published site is untouched


def test_an_unused_broken_image_stops_nothing_but_check_names_it(site):
    site.write("content/anh/hong.jpg", b"not an image at all")
    site.add("a.md", body="Không có ảnh.")
    assert site.build().code == 0
    check = site.build_cmd("check")
    assert check.code == 0
    assert any(line.startswith("warning: content/anh/hong.jpg: image: cannot be read as an image")
               and line.endswith("(it is not used, so not published)") for line in check.err.splitlines())


def test_cmyk_photo_is_published_in_rgb(site):
    site.write("content/anh/in.jpg", encoded(600, 400, mode="CMYK", quality=95))   # C=0 M=100 Y=100 K=0: red
    site.add("a.md", body="![Ảnh](anh/in.jpg)")
    assert site.build().code == 0, site.build().err
    for name in ("in.jpg", "in.webp", "in-480.webp"):
        with Image.open(site.output / "anh" / name) as image:
            assert image.mode == "RGB", name
            r, g, b = image.getpixel((10, 10))
            assert r > 200 and g < 60 and b < 60, (name, (r, g, b))


def test_16_bit_grey_is_scaled_not_clipped(site):
    row = struct.pack(">H", 30000) * 640                        # 30000 / 65535 ≈ 117 / 255
    site.write("content/anh/xam.png", png(640, 400, 16, 0, [row] * 400))
    site.add("a.md", body="![Ảnh](anh/xam.png)")
    assert site.build().code == 0
    for name in ("xam.png", "xam.webp", "xam-480.webp"):
        with Image.open(site.output / "anh" / name) as image:
            value = image.convert("L").getpixel((5, 5))
            assert 112 <= value <= 122, (name, value)            # Pillow's own conversion gives 255


def test_a_colour_profile_is_converted_to_srgb(site):
    # a profile whose red is sRGB's green: pure red pixels in it are green on screen
    swapped = rgb_profile("Swapped red and green", SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    site.write("content/anh/p3.jpg", encoded(600, 400, colour=(255, 0, 0), icc_profile=swapped, quality=95))
    site.write("content/anh/srgb.jpg", encoded(600, 400, colour=(255, 0, 0), quality=95,
                                               icc_profile=rgb_profile("sRGB IEC61966-2.1", SRGB_RED, SRGB_GREEN,
                                                                       SRGB_BLUE)))
    site.add("a.md", body="![Ảnh](anh/p3.jpg)\n\n![Ảnh](anh/srgb.jpg)")
    assert site.build().code == 0
    for name in ("p3.jpg", "p3.webp"):
        with Image.open(site.output / "anh" / name) as image:
            assert "icc_profile" not in image.info
            r, g, b = image.convert("RGB").getpixel((10, 10))
            assert g > 200 and r < 80 and b < 80, (name, (r, g, b))
    with Image.open(site.output / "anh/srgb.jpg") as image:         # sRGB already: left as it is
        r, g, b = image.getpixel((10, 10))
        assert r > 240 and g < 20 and b < 20


def test_a_large_jpeg_is_decoded_at_the_smallest_scale_still_wide_enough(tmp_path):
    source = tmp_path / "lon.jpg"
    source.write_bytes(encoded(4000, 3000))
    assert imaging._decode(source, 1600).size == (2000, 1500)      # DCT scaling: half, not the full 12 MP
    assert imaging._decode(source, 480).size == (500, 375)         # an eighth
    assert imaging._decode(source, 2100).size == (4000, 3000)      # half would be too narrow
    turned = tmp_path / "doc.jpg"
    turned.write_bytes(encoded(4000, 3000, exif_orientation=6))   # shown 3000 × 4000
    assert imaging._decode(turned, 1600).size == (3000, 4000)     # half is 1500 wide once upright: too narrow
    assert imaging._decode(turned, 1400).size == (1500, 2000)


def _sigterm_in_worker(job) -> tuple[str, str]:
    """In place of photos._make (a Pool sends its function by name): what SIGTERM does there."""
    import signal

    return job[0], "default" if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else "caught"


def test_forked_workers_end_on_sigterm_whatever_the_parent_catches(monkeypatch):
    """`build.py serve --admin` makes SIGTERM raise KeyboardInterrupt in its process; the workers
    its rebuilds fork (photos, and every map_chunks) set SIGTERM back to its default, or a pool
    ending them with SIGTERM could wait for ever for one that caught it (seen in a test run)."""
    import signal

    from sitegen import parallel, serve
    from sitegen.stages import photos

    if not parallel.can_fork():
        pytest.skip("needs fork and a second core")
    earlier = signal.getsignal(signal.SIGTERM)
    restore = serve._interrupt_on_sigterm()
    assert restore is not None and signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
    try:
        def default(_: int) -> bool:
            return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

        seen = parallel.map_chunks(lambda start, end: [default(n) for n in range(start, end)], parallel.MIN_ITEMS * 2)
        assert len(seen) == parallel.MIN_ITEMS * 2 and all(seen)
        monkeypatch.setattr(photos, "_make", _sigterm_in_worker)
        made = list(photos._run([(f"anh-{n}.jpg", None, ()) for n in range(4)]))
        assert sorted(made) == [(f"anh-{n}.jpg", "default") for n in range(4)]
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) == earlier                # serve() puts the earlier one back
