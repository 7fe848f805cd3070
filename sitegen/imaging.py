"""One photo's renditions with Pillow: decoded once, at the size needed, then resized and encoded.

    make_renditions(source, [(variant, cache file), …])

The steps, and why:
- A JPEG is decoded with `draft()` (the decoder's DCT scaling) at the smallest scale that is still
  at least as large as the widest rendition: a 12-megapixel camera photo is decoded at a quarter
  of its pixels, in a quarter of the time.
- The pixels are made plain 8-bit sRGB once: CMYK and colour profiles converted (a Display P3
  photo from a phone would look dull in browsers that ignore a WebP's missing profile), 16-bit
  greys scaled (Pillow's own conversion clips them to white), palettes expanded; the EXIF rotation
  is applied, and nothing of the metadata is kept.
- Each rendition is resized from the smallest image already made that is at least twice its
  width (Lanczos over a ratio of two or more loses nothing visible), else from the decoded one.
Errors are raised as ImageError with a message for the editor; sitegen/stages/photos.py names
the file.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path

from .images import MAX_PIXELS, Variant

# Encoder settings: part of every cached rendition's name, so a change makes them again.
ENCODE = {"WEBP": {"quality": 75, "method": 4},
          "JPEG": {"quality": 82, "optimize": True, "progressive": True},
          "PNG": {"optimize": True}}
SETTINGS = hashlib.blake2b(repr((sorted((k, sorted(v.items())) for k, v in ENCODE.items()),
                                 "lanczos", "srgb", "draft", 2)).encode(), digest_size=4).hexdigest()
_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
              6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}
_transforms: dict[tuple[bytes, str], object] = {}     # colour transforms, by profile digest and mode


class ImageError(Exception):
    """A photo that cannot be published, with what the editor can do about it."""


def cache_name(digest: str, variant: Variant) -> str:
    """The cached rendition's file name: the photo's bytes, the encoder settings, the size."""
    ext = {"WEBP": "webp", "JPEG": "jpg", "PNG": "png"}[variant.format]
    return f"{digest}-{SETTINGS}-{variant.width}.{ext}"


def make_renditions(source: Path, targets: list[tuple[Variant, Path]]) -> None:
    """Write each (variant, file) of `targets` from the photo `source`; ImageError when it cannot."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _decode(source, max(v.width for v, _ in targets))
        made = [image]
        for variant, target in sorted(targets, key=lambda t: -t[0].width):
            base = min((m for m in made if m.width >= 2 * variant.width), key=lambda m: m.width, default=image)
            if base.width != variant.width:
                height = max(1, round(image.height * variant.width / image.width))
                base = base.resize((variant.width, height), Image.Resampling.LANCZOS)
                made.append(base)
            _save(base, variant.format, target)
    except ImageError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageError("has too many pixels to be opened safely (a decompression bomb?); resize it below "
                         f"{MAX_PIXELS // 1_000_000} megapixels") from None
    except OSError as err:
        if "truncated" in str(err) or "broken data stream" in str(err):
            raise ImageError("is truncated (the file ends before the picture does: an interrupted upload or "
                             "copy?); copy it again from the original") from None
        raise ImageError(f"cannot be decoded ({err}); save it again as JPEG or PNG") from None
    except (ValueError, SyntaxError, MemoryError) as err:
        raise ImageError(f"cannot be decoded ({type(err).__name__}: {err}); save it again as JPEG or PNG") from None


def _decode(source: Path, widest: int):
    """The photo as upright 8-bit sRGB pixels, decoded at no less than `widest` pixels across."""
    from PIL import Image

    with Image.open(source) as opened:
        orientation = opened.getexif().get(0x0112, 1)
        turned = orientation in (5, 6, 7, 8)
        width, height = (opened.height, opened.width) if turned else opened.size   # (sized by inspect_images)
        if opened.format == "JPEG" and widest < width:
            need = (widest, -(-height * widest // width))
            opened.draft(opened.mode, need[::-1] if turned else need)   # never smaller than asked
        opened.load()
        image = _srgb(opened, opened.info.get("icc_profile"))
    if orientation in _TRANSPOSE:
        image = image.transpose(getattr(Image.Transpose, _TRANSPOSE[orientation]))
    return image


def _srgb(image, profile: bytes | None):
    """Plain 8-bit pixels (L, LA, RGB or RGBA) in sRGB."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit grey (or 32-bit integers): scaled to 8 bits; convert("L") would clip at 255
        image, mode = image.convert("I").point(lambda v: v * (1 / 256)).convert("L"), "L"
    elif mode == "F":
        image, mode = image.convert("L"), "L"
    elif mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        mode = image.mode
    elif mode == "1":
        image, mode = image.convert("L"), "L"
    if profile and mode in ("RGB", "RGBA", "CMYK"):
        converted = _to_srgb(image, profile)
        if converted is not None:
            return converted
    if mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in mode else "RGB")     # CMYK without a profile, YCbCr, LAB…
    return image


def _to_srgb(image, profile: bytes):
    """The image converted from its embedded profile to sRGB; None when the profile is sRGB
    already, or not one that can be read (the pixels are then taken as sRGB)."""
    from PIL import ImageCms

    key = (hashlib.blake2b(profile, digest_size=16).digest(), image.mode)
    transform = _transforms.get(key)
    if transform is None:
        try:
            embedded = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if image.mode != "CMYK" and "srgb" in ImageCms.getProfileDescription(embedded).lower():
                transform = False       # most camera photos: nothing to do
            else:
                out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
                transform = ImageCms.buildTransform(embedded, ImageCms.createProfile("sRGB"), image.mode, out_mode,
                                                    renderingIntent=ImageCms.Intent.PERCEPTUAL)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            transform = False           # a broken profile: the pixels as they are
        _transforms[key] = transform
    if transform is False:
        return None
    return ImageCms.applyTransform(image, transform)


def _save(image, fmt: str, target: Path) -> None:
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    image.save(partial, fmt, **ENCODE[fmt])      # no exif=, no icc_profile=: nothing of the metadata
    os.replace(partial, target)
