"""Images stage: responsive variants (WebP and the original format) made with Pillow, cached in .cache/.

Every raster image in content/ is published at its own path re-encoded without metadata
(camera EXIF can carry the GPS position of someone's home), plus narrower copies for phones:
`anh/x.jpg` (1600 px) → `anh/x.jpg`, `anh/x-480.jpg`, `anh/x-960.jpg`, `anh/x-1440.jpg` and the
same in WebP. A variant is computed once per image content and width, then reused from
`.cache/images/` until the image changes.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic

RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
WIDTHS = (480, 960, 1440)
CACHE_DIR = Path(".cache") / "images"
ENCODER_VERSION = "1"        # bump to recompute every cached variant (new quality settings…)
MAX_PIXELS = 60_000_000      # a bigger image is refused rather than exhausting memory
SIZES = "(min-width: 44rem) 42rem, 100vw"   # the article column: --measure in style.css
_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.S)
_SVG_ATTR = re.compile(rb'\b(width|height|viewBox)\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class Variant:
    """One published rendition of an image."""

    path: str          # content-relative output path
    width: int
    format: str        # Pillow format name: "WEBP", "JPEG", "PNG"


@dataclass(frozen=True)
class ImageInfo:
    """An image of content/: its size and its renditions (none for SVG, which scales by itself)."""

    path: str
    width: int
    height: int
    digest: str = ""
    variants: tuple[Variant, ...] = ()

    def srcset(self, fmt: str, base_path: str) -> str:
        """The srcset of one format, narrowest first."""
        return ", ".join(f"{base_path}{v.path} {v.width}w" for v in self.variants if v.format == fmt)

    @property
    def format(self) -> str:
        """The original's format (the one the <img> fallback uses)."""
        return RASTER.get(Path(self.path).suffix.lower(), "")


def _variant_path(path: str, width: int | None, fmt: str) -> str:
    stem, suffix = os.path.splitext(path)
    ext = ".webp" if fmt == "WEBP" else suffix
    return f"{stem}{'' if width is None else f'-{width}'}{ext}"


def inspect_images(root: Path, files: list[str], content_dir: str) -> tuple[dict[str, ImageInfo], list[Diagnostic]]:
    """Size and plan the renditions of every image in content/ (reads headers, decodes nothing)."""
    from PIL import Image, UnidentifiedImageError

    infos: dict[str, ImageInfo] = {}
    problems: list[Diagnostic] = []
    for rel in files:
        suffix = Path(rel).suffix.lower()
        source = root / content_dir / rel
        if suffix == ".svg":
            size = _svg_size(source.read_bytes())
            if size:
                infos[rel] = ImageInfo(rel, *size)
            continue
        if suffix not in RASTER:
            continue
        data = source.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(source) as image:
                    width, height = image.size
                    orientation = image.getexif().get(0x0112, 1)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning,
                Image.DecompressionBombError, SyntaxError, ValueError) as err:
            problems.append(Diagnostic(f"{content_dir}/{rel}", "image", f"cannot be read as an image: {err}"))
            continue
        if width * height > MAX_PIXELS:
            problems.append(Diagnostic(f"{content_dir}/{rel}", "image",
                                       f"is {width}×{height} pixels; resize it below {MAX_PIXELS // 1_000_000} megapixels"))
            continue
        if orientation in (5, 6, 7, 8):   # rotated by EXIF: the published image is turned upright
            width, height = height, width
        infos[rel] = _plan(rel, width, height, hashlib.sha256(data).hexdigest()[:20])
    return infos, problems


def _plan(rel: str, width: int, height: int, digest: str) -> ImageInfo:
    fmt = RASTER[Path(rel).suffix.lower()]
    formats = ["WEBP"] if fmt == "WEBP" else ["WEBP", fmt]
    variants = []
    for target in [w for w in WIDTHS if w < width] + [width]:
        for f in formats:
            full = target == width
            path = rel if (full and f == fmt) else _variant_path(rel, None if full else target, f)
            variants.append(Variant(path, target, f))
    return ImageInfo(rel, width, height, digest, tuple(variants))


def _svg_size(data: bytes) -> tuple[int, int] | None:
    tag = _SVG_TAG.search(data[:4096])
    if not tag:
        return None
    attrs = {k.decode(): v.decode() for k, v in _SVG_ATTR.findall(tag.group(0))}
    try:
        if "width" in attrs and "height" in attrs:
            return int(float(attrs["width"].rstrip("px"))), int(float(attrs["height"].rstrip("px")))
        box = [float(x) for x in attrs.get("viewBox", "").replace(",", " ").split()]
        return (int(box[2]), int(box[3])) if len(box) == 4 else None
    except ValueError:
        return None


def render_variants(root: Path, infos: dict[str, ImageInfo], content_dir: str) -> dict[str, Path]:
    """Make (or reuse) every rendition; return output path → file to copy."""
    cache = root / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Path] = {}
    for info in infos.values():
        for variant in info.variants:
            ext = {"WEBP": "webp", "JPEG": "jpg", "PNG": "png"}[variant.format]
            cached = cache / f"{info.digest}-{ENCODER_VERSION}-{variant.width}.{ext}"
            if not cached.exists():
                _encode(root / content_dir / info.path, variant, cached)
            outputs[variant.path] = cached
    return outputs


def _encode(source: Path, variant: Variant, target: Path) -> None:
    from PIL import Image, ImageOps

    with Image.open(source) as original:
        image = ImageOps.exif_transpose(original)
        if image.width != variant.width:
            height = max(1, round(image.height * variant.width / image.width))
            image = image.resize((variant.width, height), Image.Resampling.LANCZOS)
        if variant.format == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        options = {"WEBP": {"quality": 75, "method": 4},
                   "JPEG": {"quality": 82, "optimize": True, "progressive": True},
                   "PNG": {"optimize": True}}[variant.format]
        partial = target.with_suffix(f".{os.getpid()}.part")
        image.save(partial, variant.format, **options)   # no exif= : metadata is dropped
        os.replace(partial, target)


def picture_attributes(info: ImageInfo, base_path: str, alt: str, lazy: bool) -> tuple[dict | None, dict]:
    """Attributes of the <source> (WebP; None when there are no variants) and the <img> of an image.

    Explicit width and height let the browser reserve the space before the image arrives.
    """
    img = {"src": base_path + info.path, "alt": alt, "width": str(info.width), "height": str(info.height),
           "decoding": "async"}
    if lazy:
        img["loading"] = "lazy"
    if not info.variants:
        return None, img
    if info.format != "WEBP":
        img["srcset"] = info.srcset(info.format, base_path)
        img["sizes"] = SIZES
    source = {"type": "image/webp", "srcset": info.srcset("WEBP", base_path), "sizes": SIZES}
    return source, img
