"""Images of imported articles: found in a copy of the old site's uploads, checked, and named."""
from __future__ import annotations

import hashlib
import io
import os
import re
import warnings as python_warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import Image as PILImage

from ..text import slugify

MAX_IMAGE_BYTES = 50 * 1024 * 1024
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
_RESIZED = re.compile(r"-\d{2,5}x\d{2,5}(?=\.[A-Za-z0-9]+$)")      # WordPress's photo-300x225.jpg


class MediaFolder:
    """`--media DIR`: a copy of the old site's uploads (or any folder holding its images)."""

    def __init__(self, folder: Path | None):
        self.folder = folder.resolve() if folder is not None else None
        self._by_name: dict[str, list[Path]] | None = None

    def find(self, url: str) -> Path | None:
        """The file an image address of the old site names, or None. The original of a resized
        WordPress copy is preferred; nothing outside the folder is ever returned."""
        if self.folder is None or not url:
            return None
        path = unquote(urlsplit(url).path)
        parts = [p for p in path.split("/") if p and p not in (".", "..")]
        if not parts:
            return None
        names = [parts]
        original = _RESIZED.sub("", parts[-1])
        if original != parts[-1]:
            names.insert(0, parts[:-1] + [original])
        for candidate in names:
            if "uploads" in candidate:
                tail = candidate[candidate.index("uploads") + 1:]
                found = self._inside("/".join(tail)) or self._inside("/".join(["uploads", *tail]))
                if found:
                    return found
            for start in range(len(candidate)):
                found = self._inside("/".join(candidate[start:]))
                if found:
                    return found
        for candidate in names:
            matches = self._index().get(candidate[-1].lower(), [])
            if len(matches) == 1:
                return self._inside(matches[0].relative_to(self.folder).as_posix())   # a link out stays out
        return None

    def _inside(self, rel: str) -> Path | None:
        target = (self.folder / rel)
        try:
            real = target.resolve()
        except OSError:
            return None
        if real.is_file() and real.is_relative_to(self.folder):
            return real
        return None

    def _index(self) -> dict[str, list[Path]]:
        if self._by_name is None:
            self._by_name = {}
            for folder, dirs, files in os.walk(self.folder):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    self._by_name.setdefault(name.lower(), []).append(Path(folder, name))
        return self._by_name


def check_image(data: bytes) -> tuple[str | None, str]:
    """(file extension, "") for an image browsers show, or (None, why not)."""
    if len(data) > MAX_IMAGE_BYTES:
        return None, f"is over {MAX_IMAGE_BYTES // 1024 // 1024} MB"
    if data.lstrip()[:5].lower() in (b"<svg ", b"<?xml") and b"<svg" in data[:2048]:
        return ".svg", ""
    try:
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        return None, "is far too many pixels (refused as a decompression bomb)"
    except Exception as err:  # noqa: BLE001 - Pillow raises many kinds for broken files
        return None, f"is not an image that can be read ({type(err).__name__})"
    if kind not in FORMATS:
        return None, f"is a {kind} image, which browsers do not show; convert it to JPEG or PNG"
    return FORMATS[kind], ""


@dataclass
class ImageNames:
    """Names of the images written next to imported articles: one file per picture and folder,
    whatever number of articles show it, never over a file with other bytes."""

    content: Path
    taken: dict[str, str] = field(default_factory=dict)       # content-relative path -> digest
    by_digest: dict[tuple[str, str], str] = field(default_factory=dict)

    def checkpoint(self) -> tuple[dict, dict]:
        """What is planned now, to go back to when an article is not written after all."""
        return dict(self.taken), dict(self.by_digest)

    def rollback(self, state: tuple[dict, dict]) -> None:
        """Forget the images planned since `checkpoint`."""
        self.taken, self.by_digest = dict(state[0]), dict(state[1])

    def place(self, folder: str, stem: str, extension: str, data: bytes) -> tuple[str, bool]:
        """The content-relative path for `data` in `folder` ("2019/12/anh"), and whether it
        must be written (False: the same bytes are there already, or planned)."""
        digest = hashlib.sha256(data).hexdigest()
        known = self.by_digest.get((folder, digest))
        if known is not None:
            return known, False
        base = slugify(stem, 60)
        for n in range(1, 10_000):
            rel = f"{folder}/{base}{'' if n == 1 else f'-{n}'}{extension}"
            if rel in self.taken:
                continue
            existing = self.content / rel
            if existing.exists():
                try:
                    same = hashlib.sha256(existing.read_bytes()).hexdigest() == digest
                except OSError:
                    same = False
                if not same:
                    continue
                self.taken[rel] = digest
                self.by_digest[(folder, digest)] = rel
                return rel, False
            self.taken[rel] = digest
            self.by_digest[(folder, digest)] = rel
            return rel, True
        raise ValueError(f"no free name for an image in {folder}")
