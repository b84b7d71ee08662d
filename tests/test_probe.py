"""The site probe's arithmetic and file format (no model needed; the neural tests read it from a model)."""
import numpy as np
import pytest

from unspin.evidence.probe import SiteProbe


def test_positions_read_before_at_and_after_the_site_clipped_to_the_sentence():
    p = SiteProbe(layer=3, dim=2)  # offsets (-1, 0, 1, 2)
    assert p.positions(first=4, last=5, length=10) == [3, 5, 6, 7]
    assert p.positions(first=1, last=1, length=3) == [0, 1, 2, 2]  # the last token repeats at the end
    assert p.positions(first=8, last=9, length=10) == [7, 9, 9, 9]


def test_logits_are_a_linear_function_of_the_states_and_survive_a_round_trip(tmp_path):
    w = np.arange(8, dtype=np.float32) / 10
    p = SiteProbe(layer=3, dim=2, weight=w, bias=-0.5, meta={"dev_site_auroc": 0.9})
    x = np.ones((2, 8), dtype=np.float32)
    x[1] *= 2
    assert np.allclose(p.logits(x), [w.sum() - 0.5, 2 * w.sum() - 0.5])
    path = tmp_path / "probe.json"
    p.save(str(path))
    q = SiteProbe.load(str(path))
    assert (q.layer, q.dim, q.offsets, q.meta) == (3, 2, (-1, 0, 1, 2), {"dev_site_auroc": 0.9})
    assert np.allclose(q.logits(x), p.logits(x))


def test_a_probe_without_weights_reads_nothing_and_a_wrong_size_is_refused():
    assert np.all(SiteProbe(layer=1, dim=4).logits(np.ones((3, 16))) == 0.0)
    with pytest.raises(ValueError, match="needs 16 weights"):
        SiteProbe(layer=1, dim=4, weight=np.zeros(12))
