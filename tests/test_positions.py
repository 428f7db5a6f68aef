"""Packed positions: the uint16-gap encoding round-trips, and the numpy block decoder agrees
with the one-value decoder for every width mix."""

from __future__ import annotations

import random

import numpy as np
import pytest

from searchapp.ranking import _block_positions
from searchapp.schema import SHORT_GAPS, PackedPositions, decode_positions, encode_positions


@pytest.mark.parametrize("seed", range(5))
def test_block_decoder_matches_value_decoder(seed):
    rng = random.Random(seed)
    for trial in range(60):
        values, expected = [], []
        docs = np.arange(rng.randint(1, 130), dtype=np.int64) * 3 + rng.randint(0, 9)
        wide = trial % 3 == 0  # some values over 65,536: uint32 positions, mixed blocks
        for d in docs:
            top = 200_000 if wide and rng.random() < 0.3 else 3_000
            plist = sorted(rng.sample(range(top), rng.randint(1, 6)))
            value = encode_positions(plist)
            assert decode_positions(value) == plist
            values.append(value)
            expected += [(int(d) << 32) | p for p in plist]
        assert _block_positions(docs, values).tolist() == expected


def test_short_gaps_are_smaller_and_counted():
    fmt = PackedPositions()
    short = encode_positions([5, 9, 400, 60_000])
    assert len(short) == 4 + 2 * 4
    assert fmt.decode_frequency(short) == 4
    wide = encode_positions([5, 70_000])  # a gap over 65,535
    assert len(wide) == 4 + 4 * 2
    assert fmt.decode_frequency(wide) == 2
    assert int.from_bytes(short[:4], "big") & SHORT_GAPS
    assert not int.from_bytes(wide[:4], "big") & SHORT_GAPS
    assert fmt.decode_positions(encode_positions([70_000])) == [70_000]
