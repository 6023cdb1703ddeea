"""Text normalisation and hashing: the identity of a text for caching and provenance.

Pure functions. Normalisation folds only what does not change affect (Unicode
form, surrounding and repeated whitespace); case, emoji and punctuation are kept
because "I'm FINE!!!" and "i'm fine" are not the same annotation.
"""

from __future__ import annotations

import hashlib
import unicodedata


def normalise_text(text: str) -> str:
    """NFC-normalise, collapse runs of whitespace to one space and strip the ends.

    `str.split()` splits on the characters `re`'s \\s matches (tested for every code point) and is
    several times faster than substituting them; it runs for every event.
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_sha256(text: str) -> str:
    """Hex sha256 of the normalised text (the `text_sha256` of an `Annotation`)."""
    return normalised_sha256(normalise_text(text))


def normalised_sha256(normalised: str) -> str:
    """`text_sha256` of a text that `normalise_text` already produced (skips normalising twice)."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
