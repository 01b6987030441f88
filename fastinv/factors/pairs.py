"""Same-class pairs of distinct images (METHOD.md section 5.1); each image is used once.

``halves`` is the reference's scheme: the class's images in folder order, cut into batches of
``pair_batch`` (32 in the study), the first half of each batch paired with the second half; an
incomplete last batch is dropped. ``random`` shuffles the class's images with the run's seed and
pairs them two by two.
"""

from __future__ import annotations

import hashlib

import numpy as np

from fastinv.data import ImageRecord

PAIRINGS = ("halves", "random")


def class_pairs(
    records: list[ImageRecord], pairing: str, max_pairs: int, pair_batch: int, seed: int
) -> list[tuple[ImageRecord, ImageRecord]]:
    """Up to ``max_pairs`` pairs ``(x1, x2)`` of distinct images of one class."""
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing {pairing!r} unknown; valid: {', '.join(PAIRINGS)}")
    if max_pairs < 1:
        raise ValueError(f"pairs per class must be at least 1, got {max_pairs}")
    pairs = []
    if pairing == "halves":
        if pair_batch < 2 or pair_batch % 2:
            raise ValueError(f"pair batch must be an even number >= 2, got {pair_batch}")
        half = pair_batch // 2
        for start in range(0, len(records) - pair_batch + 1, pair_batch):
            batch = records[start : start + pair_batch]
            pairs += list(zip(batch[:half], batch[half:], strict=True))
    else:
        digest = hashlib.sha256(
            repr((seed, records[0].class_name if records else "", "pairs")).encode()
        ).digest()
        order = np.random.default_rng(int.from_bytes(digest[:8], "little")).permutation(
            len(records)
        )
        shuffled = [records[i] for i in order]
        pairs = list(zip(shuffled[0::2], shuffled[1::2], strict=False))
    return pairs[:max_pairs]
