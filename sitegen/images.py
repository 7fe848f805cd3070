"""Images of content/: their sizes, the renditions each is published as, and which are used.

A photo is published as a few renditions made once from its bytes (sitegen/imaging.py makes them,
sitegen/stages/photos.py runs them on every core and keeps them in `.cache/images/`):

    content/anh/x.jpg (2000 px) → anh/x.jpg      1600 px JPEG: the <img> every browser shows, the
                                                 picture shared on social networks, feeds
                                  anh/x-480.webp, anh/x-960.webp, anh/x-1440.webp
                                                 the srcset of <source type="image/webp">

Every browser the portal serves reads WebP (Chrome, Edge, Firefox, Samsung Internet, Safari from
14, Zalo's and Facebook's in-app browsers: all Chromium or WebKit), so the original format is made
once, at the largest size, as the fallback <img>; the narrower JPEGs an earlier version made for
every width were never chosen by a browser that also read WebP, and cost a third of the encoding
(docs/design/photos.md). Metadata is dropped (camera EXIF can carry the GPS position of someone's
home), an EXIF rotation applied, a colour profile converted to sRGB.

Only the images an article, a template or site.yaml refers to are published (`referenced`); the
others are reported by `check`.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .errors import Diagnostic

RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
IMAGE_SUFFIXES = frozenset(RASTER) | {".svg", ".gif"}
WIDTHS = (480, 960, 1440)    # the WebP srcset: phones at 1×–3× and the 42rem column at 1×–2×
MAX_WIDTH = 1600             # the widest rendition (and the original's path): 42rem at 2.4×
CACHE_DIR = Path(".cache") / "images"
MAX_PIXELS = 60_000_000      # a bigger image is refused rather than exhausting memory
SIZES = "(min-width: 44rem) 42rem, 100vw"   # the article column: --measure in style.css
_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.S)
_SVG_ATTR = re.compile(rb'\b(width|height|viewBox)\s*=\s*"([^"]*)"')
# a path to an image written in a template or site.yaml: "2019/12/anh/x.jpg", '/anh/logo.png'
_IMAGE_PATH = re.compile(r"[\w./%-]+\.(?:jpe?g|png|webp|svg|gif)\b", re.I)


@dataclass(frozen=True)
class Variant:
    """One published rendition of an image."""

    path: str          # content-relative output path
    width: int
    format: str        # Pillow format name: "WEBP", "JPEG", "PNG"


@dataclass(frozen=True)
class ImageInfo:
    """An image of content/: its published size and its renditions (none for SVG, which scales by itself)."""

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


class ImageRecord(NamedTuple):
    """What the cache keeps of an inspected image: the file's identity when it was read, and
    what was found (its info, or the problem that keeps it out)."""

    identity: tuple
    info: ImageInfo | None
    problem: Diagnostic | None


def _variant_path(path: str, width: int | None, fmt: str) -> str:
    stem, suffix = os.path.splitext(path)
    ext = ".webp" if fmt == "WEBP" else suffix
    return f"{stem}{'' if width is None else f'-{width}'}{ext}"


def inspect_images(root: Path, files: list[str], content_dir: str,
                   previous: dict[str, ImageRecord] | None = None
                   ) -> tuple[dict[str, ImageInfo], dict[str, ImageRecord]]:
    """Size and plan the renditions of every image in content/ (reads headers, decodes nothing).

    An image whose file identity is the one in `previous` is not read again: a rebuild of a
    portal with thousands of photos would otherwise read and hash every one of them. Returns the
    infos and the records for the cache (a record holds the image's problem, if any: whether it
    stops the build depends on whether the image is used, which the group stage knows)."""
    infos: dict[str, ImageInfo] = {}
    records: dict[str, ImageRecord] = {}
    previous = previous or {}
    for rel in files:
        suffix = os.path.splitext(rel)[1].lower()
        if suffix not in RASTER and suffix != ".svg":
            continue
        source = root / content_dir / rel
        try:
            st = os.stat(source)
        except OSError:
            continue
        identity = (st.st_ino, st.st_size, st.st_mtime_ns)
        record = previous.get(rel)
        if record is None or record.identity != identity:
            record = ImageRecord(identity, *_inspect(source, rel, suffix, f"{content_dir}/{rel}"))
        records[rel] = record
        if record.info is not None:
            infos[rel] = record.info
    return infos, records


def _inspect(source: Path, rel: str, suffix: str, shown: str) -> tuple[ImageInfo | None, Diagnostic | None]:
    data = source.read_bytes()
    if suffix == ".svg":
        size = _svg_size(data)
        return (ImageInfo(rel, *size) if size else None), None
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                orientation = image.getexif().get(0x0112, 1)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None, Diagnostic(shown, "image", "has too many pixels to be opened safely (a decompression bomb?); "
                                f"resize it below {MAX_PIXELS // 1_000_000} megapixels")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        return None, Diagnostic(shown, "image", f"cannot be read as an image ({_reason(err)}); "
                                "save it again as JPEG or PNG")
    if width * height > MAX_PIXELS:
        return None, Diagnostic(shown, "image", f"is {width}×{height} pixels; resize it below "
                                f"{MAX_PIXELS // 1_000_000} megapixels")
    if orientation in (5, 6, 7, 8):   # rotated by EXIF: the published image is turned upright
        width, height = height, width
    return plan(rel, width, height, hashlib.sha256(data).hexdigest()[:20]), None


def _reason(err: Exception) -> str:
    text = str(err).replace(str(Path.cwd()), "").strip() or type(err).__name__
    return text if len(text) < 160 else text[:157] + "…"


def plan(rel: str, width: int, height: int, digest: str) -> ImageInfo:
    """The renditions of an image of `width`×`height` (upright): the original's format once, at
    the largest size, and WebP at each srcset width below it (and at the largest when that is
    no wider than the widest srcset width). Never wider than the image: nothing is upscaled."""
    fmt = RASTER[os.path.splitext(rel)[1].lower()]
    full = min(width, MAX_WIDTH)
    full_height = max(1, round(height * full / width))
    webp = [w for w in WIDTHS if w < full]
    variants = [Variant(_variant_path(rel, w, "WEBP"), w, "WEBP") for w in webp]
    if fmt != "WEBP" and full <= WIDTHS[-1]:
        variants.append(Variant(_variant_path(rel, None, "WEBP"), full, "WEBP"))
    variants.append(Variant(rel, full, fmt))
    return ImageInfo(rel, full, full_height, digest, tuple(variants))


def is_image(rel: str) -> bool:
    """A file of content/ that is an image (published only when used)."""
    return os.path.splitext(rel)[1].lower() in IMAGE_SUFFIXES


def referenced(files: list[str], body_files: frozenset[str], lead_images: set[str],
               texts: list[str]) -> set[str]:
    """The images of content/ (`files`) that are used: shown or linked by a body (`body_files`,
    what the bodies' links and images resolved to), an article's lead image, or written as a
    path in a template or site.yaml (`texts`)."""
    images = {rel for rel in files if is_image(rel)}
    named = {token.lstrip("/") for text in texts for token in _IMAGE_PATH.findall(text)}
    return {rel for rel in images if rel in body_files or rel in lead_images or rel in named
            or any(token.endswith("/" + rel) for token in named if len(token) > len(rel))}


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
    if info.format == "WEBP":        # the original is WebP already: no <source> needed
        img["srcset"], img["sizes"] = info.srcset("WEBP", base_path), SIZES
        return None, img
    # the original's format once, as `src` (browsers that read WebP take the <source>)
    source = {"type": "image/webp", "srcset": info.srcset("WEBP", base_path), "sizes": SIZES}
    return source, img
