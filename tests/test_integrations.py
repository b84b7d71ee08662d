"""The datatrove filter adaptor: drop or tag spun documents inside a datatrove pipeline step."""
import pytest

pytest.importorskip("datatrove")

from datatrove.data import Document  # noqa: E402

from conftest import EXAMPLE  # noqa: E402
from unspin.integrations import UnspinFilter  # noqa: E402

CLEAN = ("The company said on Tuesday that it would cut 200 jobs at its plant in Ohio, blaming falling "
         "demand for its cars. Workers were told of the decision at a meeting in the morning, and the "
         "union said it would fight the plan.")


def docs():
    return [Document(text=CLEAN, id="clean"), Document(text=open(EXAMPLE, encoding="utf-8").read(), id="spun")]


def test_drop_keeps_only_clean_documents_and_counts():
    f = UnspinFilter(action="drop")
    kept = list(f.run(iter(docs())))
    assert [d.id for d in kept] == ["clean"]
    assert kept[0].metadata["unspin"]["spun"] is False
    assert f.stats["dropped"].total == 1 and f.stats["dropped_spun"].total == 1
    assert f.stats["forwarded"].total == 1


def test_tag_keeps_everything_with_the_report():
    kept = list(UnspinFilter(action="tag", restore=True).run(iter(docs())))
    tags = {d.id: d.metadata["unspin"] for d in kept}
    assert set(tags) == {"clean", "spun"}
    assert tags["spun"]["spun"] is True and tags["spun"]["spans"] >= 6 and tags["spun"]["spin_score"] >= 0.5
    assert "between the leaders" in tags["spun"]["restored"]


def test_threshold_and_bad_arguments():
    kept = list(UnspinFilter(threshold=1.01).run(iter(docs())))
    assert len(kept) == 2
    with pytest.raises(ValueError):
        UnspinFilter(action="delete")
    with pytest.raises(ValueError):
        UnspinFilter(profile="nope")
