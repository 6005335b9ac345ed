"""The optional embedding for similar incidents: WordLlama's small model, shipped inside its
wheel (`pip install 'incidentdesk[similar]'`), read from the installed package with downloads
disabled, so it never reaches the network.

Used when the package is installed and `INCIDENTDESK_SIMILAR_EMBEDDINGS` is on; otherwise the
ranking is lexical alone (similar_rank.py). Embedding a few hundred short texts takes a few
milliseconds, so the candidates are embedded on each request and nothing is stored.
"""

import functools
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from incidentdesk.search.similar_rank import Profile

log = logging.getLogger(__name__)


def installed() -> bool:
    """Whether the optional package is there."""
    try:
        import wordllama  # noqa: F401
    except ImportError:
        return False
    return True


def enabled() -> bool:
    """The setting is on and the model loads."""
    return bool(getattr(settings, "SIMILAR_EMBEDDINGS", False)) and model() is not None


@functools.cache
def model():
    """The model, loaded once per process from the files inside the wordllama package (its
    weights and tokenizer), downloads disabled; None when the package or its files are
    missing (then the ranking is lexical, and the log says why once)."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        log.warning("INCIDENTDESK_SIMILAR_EMBEDDINGS is on but wordllama is not installed")
        return None
    shipped = Path(wordllama.__file__).parent  # holds weights/ and tokenizers/
    try:
        return WordLlama.load(cache_dir=shipped, disable_download=True)
    except (FileNotFoundError, ValueError, OSError) as exc:
        log.warning("the wordllama model inside the package could not be loaded: %s", exc)
        return None


def cosines(query: Profile, candidates: Sequence[Profile]) -> list[float]:
    """The cosine similarity of each candidate's text with the query's (0 for an empty one)."""
    texts = [query.text()] + [c.text() for c in candidates]
    vectors = _vectors(texts)
    scores = vectors[1:] @ vectors[0]
    return [float(s) if texts[i + 1].strip() else 0.0 for i, s in enumerate(scores)]


_known: OrderedDict = OrderedDict()  # text -> its unit vector, the most recently used last
KNOWN = 2048


def _vectors(texts: list[str]):
    """The unit vectors of `texts`, those seen lately from memory, the others embedded in one
    batch (a vector is 256 floats: the memory holds at most KNOWN of them, about 2 MB)."""
    import numpy

    missing = list(dict.fromkeys(t for t in texts if t not in _known))
    if missing:
        for text, vector in zip(missing, model().embed(missing, norm=True), strict=True):
            _known[text] = vector
    for text in texts:
        _known.move_to_end(text)
    while len(_known) > KNOWN:
        _known.popitem(last=False)
    return numpy.stack([_known[t] for t in texts])
