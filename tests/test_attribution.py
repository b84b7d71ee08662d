"""Source attribution (unspin.attribute): invariant fingerprints, index, alignment, restore, CLI.

The corpus is real English prose that every Python install carries: paragraphs of standard-library
docstrings (a few hundred), spun by the simulator. The 100k-document benchmark is bench/attribution.py.
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import run_cli
from unspin.attribute import SourceIndex, SourceIndexError, align, restore_from_source, substitutions
from unspin.attribute.fingerprint import REWRITTEN_FORMS, invariant_form
from unspin.attribute.index import DEFAULT_THRESHOLD, MIN_SHINGLES
from unspin.report import Report

MODULES = ("abc argparse asyncio base64 bisect calendar codecs collections concurrent.futures configparser "
           "contextlib copy csv dataclasses datetime decimal difflib doctest email enum fnmatch fractions ftplib "
           "functools gettext glob gzip hashlib heapq hmac html.parser http.client imaplib inspect io ipaddress "
           "itertools json locale logging lzma mailbox mimetypes multiprocessing numbers operator optparse os "
           "pathlib pdb pickle platform plistlib pprint queue random re sched secrets selectors shelve shutil "
           "signal smtplib socket sqlite3 ssl statistics string struct subprocess tarfile tempfile textwrap "
           "threading timeit tokenize traceback types unittest urllib.parse urllib.request uuid warnings "
           "weakref xml.dom.minidom zipfile").split()


@pytest.fixture(scope="session")
def paragraphs() -> list[str]:
    """Distinct prose paragraphs (>= 30 words, no code) from standard-library docstrings."""
    seen, out = set(), []
    for name in MODULES:
        mod = importlib.import_module(name)
        for obj in [mod] + [getattr(mod, a) for a in sorted(dir(mod)) if not a.startswith("_")]:
            if not (inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            for p in re.split(r"\n\s*\n", inspect.getdoc(obj) or ""):
                p = " ".join(p.split())
                if len(p.split()) >= 30 and p not in seen and not re.search(r"[>{}=|*]|\.\.\.|::", p):
                    seen.add(p)
                    out.append(p)
    assert len(out) >= 300
    return out


@pytest.fixture(scope="session")
def lexicon():
    from unspin.lexicon import default_lexicon

    return default_lexicon()


def spinner(lexicon, rate: float, seed: int = 7):
    from unspin.eval.simulator import Spinner

    return Spinner("mixed", rate, seed=seed, lexicon=lexicon)


@pytest.fixture(scope="session")
def built(paragraphs, tmp_path_factory):
    """An index of all paragraphs but the last 60 (held out: clean documents with no source)."""
    path = tmp_path_factory.mktemp("idx") / "index"
    with SourceIndex(path) as index:
        assert index.add_many((f"doc/{i}", p) for i, p in enumerate(paragraphs[:-60])) == len(paragraphs) - 60
    return path


# ---- fingerprint ---------------------------------------------------------------------------------

def test_every_rewrite_rule_of_the_lexicon_leaves_the_fingerprint_unchanged(lexicon):
    from unspin.lexicon import Relation

    pairs = [(o, s) for o, syns in lexicon.forward.items() for s, f in syns
             if f & (Relation.FILLER | Relation.PARAPHRASE)]
    assert len(pairs) >= 60 and ("in", "within") in pairs and ("before", "earlier than") in pairs
    frame = "Officials in Geneva said on Monday that they {} the 2 parties, the report said."
    broken = [(o, s) for o, s in pairs if invariant_form(frame.format(o)) != invariant_form(frame.format(s))]
    assert broken == []
    assert REWRITTEN_FORMS[("in", "between")] == "between" and REWRITTEN_FORMS[("within",)] == "in"
    # The function words stay in the form: a rewrite is read back, not dropped.
    assert invariant_form("He met them within the week, however briefly.") == ["he", "them", "in", "the", ",", "but",
                                                                               "."]


def test_number_words_read_as_digits():
    assert invariant_form("Twenty-one of the twentieth") == invariant_form("21 of the 20th") == ["21", "of", "the", "20th"]
    assert invariant_form("the second of two votes") == invariant_form("the 2nd of 2 votes") == ["the", "2nd", "of", "2"]


def test_invariant_form_keeps_names_numbers_and_function_words_only():
    form = invariant_form("Officials met the Prime Minister in Geneva on 3 May, and requested 1,000 tonnes.")
    assert form == ["the", "prime", "minister", "in", "geneva", "on", "3", "may", ",", "and", "1,000", "."]
    spun = invariant_form("Authorities satisfied the Prime Minister in Geneva on 3 May, and asked for 1,000 tonnes.")
    assert spun == form


# ---- alignment -----------------------------------------------------------------------------------

def test_alignment_partitions_both_texts_and_finds_every_edit(paragraphs, lexicon):
    sp = spinner(lexicon, 0.5)
    for text in paragraphs[:40]:
        s = sp.spin(text)
        ops = align(s.spun, text)
        assert "".join(o["spun_text"] for o in ops) == s.spun
        assert "".join(o["source_text"] for o in ops) == text
        for o in ops:
            assert o["spun_text"] == s.spun[o["spun"][0]:o["spun"][1]] and o["source_text"] == text[o["source"][0]:o["source"][1]]
            assert (o["op"] == "equal") == (o["spun_text"] == o["source_text"])
        diff = substitutions(ops)
        # Every gold edit overlaps a difference (an expansion "acts" -> "acts as" is the insertion
        # of " as"), and every difference touches a gold edit.
        for e in s.edits:
            assert any(o["spun"][0] <= e.spun_end + 1 and e.spun_start <= o["spun"][1] for o in diff), e
        for o in diff:
            assert any(o["spun"][0] <= e.spun_end + 1 and e.spun_start <= o["spun"][1] for e in s.edits), o


def test_alignment_of_an_excerpt_leaves_the_rest_of_the_source_out_of_the_differences():
    source = "The talks began in Geneva. Officials met the envoy on Monday. The vote is due in May."
    spun = "Authorities satisfied the envoy on Monday."
    diff = substitutions(align(spun, source))
    assert [(o["spun_text"], o["source_text"]) for o in diff] == [("Authorities satisfied", "Officials met")]


# ---- index ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_find_recovers_the_source_of_spun_copies(built, paragraphs, lexicon, rate):
    sp = spinner(lexicon, rate, seed=int(rate * 100))
    hits = 0
    with SourceIndex(built, create=False) as index:
        for i in range(0, len(paragraphs) - 60, 12)[:25]:
            matches = index.find(sp.spin(paragraphs[i]).spun, k=3)
            hits += bool(matches) and matches[0].id == f"doc/{i}"
    assert hits >= 24


def test_clean_documents_without_a_source_match_nothing(built, paragraphs):
    with SourceIndex(built, create=False) as index:
        matched = [p for p in paragraphs[-60:] if index.find(p, k=1)]
        assert len(matched) <= 2
        # ... while the indexed ones match themselves with similarity 1.
        top = index.find(paragraphs[5], k=1)
        assert top[0].id == "doc/5" and top[0].score == 1.0


def test_add_skips_known_ids_and_the_index_rejects_another_fingerprint_version(tmp_path):
    with SourceIndex(tmp_path / "i") as index:
        assert index.add("a", "Officials met the envoy in Geneva on Monday, and the talks went on until 9.")
        assert not index.add("a", "something else entirely")
        assert len(index) == 1 and index.get("a").startswith("Officials")
    db = sqlite3.connect(tmp_path / "i" / "index.sqlite")
    with db:
        db.execute("UPDATE meta SET value = 'other' WHERE key = 'fingerprint'")
    db.close()
    with pytest.raises(SourceIndexError, match="rebuild"):
        SourceIndex(tmp_path / "i")
    with pytest.raises(SourceIndexError, match="no index"):
        SourceIndex(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()


def test_texts_too_short_to_attribute_are_stored_but_never_matched(tmp_path, paragraphs):
    with SourceIndex(tmp_path / "i") as index:
        index.add_many([("mr", "Mr."), ("st", "St."), ("words", "Officials met the envoy."), ("long", paragraphs[0])])
        assert index.get("mr") == "Mr." and len(index) == 4
        assert index.find("Mr.", threshold=0.0) == [] and index.find("Officials met the envoy.", threshold=0.0) == []
        assert index.clusters(threshold=0.0) == []
        assert [m.id for m in index.find(paragraphs[0])] == ["long"]


def test_a_failed_batch_leaves_the_committed_ones_and_the_build_resumes(tmp_path, paragraphs):
    class Boom(Exception):
        pass

    def records():
        for i, p in enumerate(paragraphs[:250]):
            if i == 120:
                raise Boom
            yield f"d{i}", p

    with SourceIndex(tmp_path / "i") as index:
        with pytest.raises(Boom):
            index.add_many(records(), batch_size=50, input_key="corpus")
        assert len(index) == 100 and index.resume_point("corpus") == (100, False)
        done, _ = index.resume_point("corpus")
        rest = ((f"d{i}", p) for i, p in enumerate(paragraphs[:250]) if i >= done)
        assert index.add_many(rest, batch_size=50, input_key="corpus", skip=done) == 150
        assert len(index) == 250 and index.resume_point("corpus") == (250, True)


def test_kill_9_mid_build_leaves_a_consistent_index_that_resumes(tmp_path, paragraphs):
    corpus = tmp_path / "c.jsonl"
    n = 6000
    with open(corpus, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"d{i}", "text": paragraphs[i % len(paragraphs)]}) + "\n")
    cmd = [sys.executable, "-m", "unspin.cli", "index", "build", "--input", str(corpus), "--index",
           str(tmp_path / "i"), "--batch-size", "100"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db_path = tmp_path / "i" / "index.sqlite"
    done = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if db_path.exists():
            try:
                db = sqlite3.connect(db_path)
                row = db.execute("SELECT done FROM progress").fetchone()
                db.close()
                done = row[0] if row else 0
            except sqlite3.OperationalError:
                pass
        if done >= 300:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the build ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    committed = db.execute("SELECT done FROM progress").fetchone()[0]
    assert 0 < committed < n and committed % 100 == 0
    assert db.execute("SELECT count(*) FROM docs").fetchone()[0] == committed
    db.close()
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"resuming after {committed}".encode() in r.stderr
    with SourceIndex(tmp_path / "i", create=False) as index:
        assert len(index) == n and index.resume_point(str(corpus)) == (n, True)
        short = {i for i, p in enumerate(paragraphs) if index.fingerprint(p)[1] < MIN_SHINGLES}
        assert len(short) < 5  # a few docstrings are nearly all content words
        with_buckets = sum(1 for i in range(n) if i % len(paragraphs) not in short)
        assert index.db.execute("SELECT count(DISTINCT doc) FROM buckets").fetchone()[0] == with_buckets


def test_self_clusters_group_the_spun_copies_of_each_source(tmp_path, paragraphs, lexicon):
    with SourceIndex(tmp_path / "i") as index:
        index.add_many((f"doc/{i}", p) for i, p in enumerate(paragraphs[:150]))
        before = index.clusters()  # the standard library repeats itself a little (encode/decode twins)
        clustered = {i for g in before for i, _ in g}
        sources = [i for i in range(0, 150, 7) if f"doc/{i}" not in clustered][:3]
        for src in sources:
            for seed in (1, 2):
                index.add(f"copy/{src}/{seed}", spinner(lexicon, 0.3, seed).spin(paragraphs[src]).spun)
        after = index.clusters()
    new = [g for g in after if g not in before]
    assert sorted(sorted(i for i, _ in g) for g in new) == sorted(
        sorted([f"doc/{s}", f"copy/{s}/1", f"copy/{s}/2"]) for s in sources)
    assert len(after) == len(before) + 3
    assert all(score >= DEFAULT_THRESHOLD for g in new for _, score in g)


# ---- restore -------------------------------------------------------------------------------------

def test_restore_from_source_marks_every_substitution_and_restores_exactly(built, paragraphs, lexicon):
    sp = spinner(lexicon, 0.3, seed=11)
    with SourceIndex(built, create=False) as index:
        for i in (2, 30, 64):
            s = sp.spin(paragraphs[i])
            report = Report(id="q", spin_score=0.1, verdict="clean", spans=[], restored=s.spun, text=s.spun)
            match = index.find(s.spun, k=1)[0]
            out = restore_from_source(report, match)
            assert out.restored == paragraphs[i]
            assert out.verdict == "spun" and out.source == {"id": f"doc/{i}", "score": round(match.score, 4)}
            assert len(out.spans) >= 1 and all(sp_.confidence == match.score for sp_ in out.spans)
            assert out.to_dict()["source"]["id"] == f"doc/{i}"
            assert any("source found in the index" in w for w in out.warnings)
    assert restore_from_source(report, None).to_dict()["source"] is None


# ---- command line --------------------------------------------------------------------------------

def test_cli_build_add_find_and_check_with_index(tmp_path, paragraphs, lexicon):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"j{i}", "text": p}) + "\n" for i, p in enumerate(paragraphs[:100])))
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(paragraphs[100])
    (folder / "sub" / "b.txt").write_text(paragraphs[101])
    (folder / "notes.md").write_text("not indexed")
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.table({"id": ["p0", "p1"], "text": [paragraphs[102], paragraphs[103]]}), tmp_path / "c.parquet")
    idx = str(tmp_path / "idx")
    r = run_cli("index", "build", "--input", str(corpus), "--index", idx)
    assert r.returncode == 0 and b"100 documents indexed" in r.stderr, r.stderr
    r = run_cli("index", "add", "--input", str(folder), "--input", str(tmp_path / "c.parquet"), "--index", idx)
    assert r.returncode == 0 and b"index holds 104" in r.stderr, r.stderr
    assert run_cli("index", "add", "--input", str(corpus), "--index", str(tmp_path / "none")).returncode == 2

    spun = spinner(lexicon, 0.5, seed=5).spin(paragraphs[101])
    q = tmp_path / "q.txt"
    q.write_text(spun.spun)
    r = run_cli("find", "--index", idx, str(q), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["id"] == str(q) and out["matches"][0]["id"] == os.path.join("sub", "b.txt")
    assert "".join(o["source_text"] for o in out["matches"][0]["alignment"]) == paragraphs[101]
    r = run_cli("find", "--index", idx, str(q))
    assert r.returncode == 0 and b"sub/b.txt  similarity" in r.stdout

    r = run_cli("check", "--index", idx, str(q), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["source"]["id"] == os.path.join("sub", "b.txt") and rep["restored"] == paragraphs[101]
    assert rep["verdict"] == "spun" and len(rep["spans"]) >= len(spun.edits) // 2

    before = json.loads(run_cli("find", "--index", idx, "--self", "--json").stdout)["clusters"]
    assert all("j7" not in [m["id"] for m in c["members"]] for c in before)
    copy = tmp_path / "copy.jsonl"
    copy.write_text(json.dumps({"id": "copy-of-j7", "text": spinner(lexicon, 0.3, 2).spin(paragraphs[7]).spun}) + "\n")
    assert run_cli("index", "add", "--input", str(copy), "--index", idx).returncode == 0
    r = run_cli("find", "--index", idx, "--self", "--json")
    assert r.returncode == 0
    clusters = json.loads(r.stdout)["clusters"]
    assert [sorted(m["id"] for m in c["members"]) for c in clusters if c not in before] == [["copy-of-j7", "j7"]]


def test_index_inputs_read_the_scan_formats_skip_bad_records_and_resume_by_record_count(tmp_path, paragraphs,
                                                                                         monkeypatch):
    import gzip
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from unspin.attribute.inputs import read_records
    from unspin.scan import readers

    gz = tmp_path / "c.jsonl.gz"  # blank lines are no record; a bad line is one, reported and not indexed
    with gzip.open(gz, "wt") as fh:
        fh.write(json.dumps({"id": "j0", "text": paragraphs[0]}) + "\n\n{not json\n"
                 + json.dumps({"text": paragraphs[1]}) + "\n\n" + json.dumps({"id": "j2", "text": paragraphs[2]}) + "\n")
    parquet = tmp_path / "c.parquet"  # several row groups, several batches in each
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(7)], "text": [paragraphs[10 + i] if i != 3 else None
                                                                          for i in range(7)]}), parquet, row_group_size=3)
    monkeypatch.setattr(readers, "PARQUET_BATCH", 2)
    warc = tmp_path / "crawl.warc.gz"
    with open(warc, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for uri, ctype, body in (("http://a/", "text/html", f"<p>{paragraphs[20]}</p>".encode()),
                                 ("http://a/x.png", "image/png", b"\x89PNG"), ("http://b/", "text/plain", paragraphs[21].encode())):
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http))
    expected = {str(gz): ["j0", f"{gz}:2", f"{gz}:3", "j2"], str(parquet): [f"p{i}" for i in range(7)]}
    for path, ids in expected.items():
        errors = []
        full = list(read_records(path, on_error=errors.append))
        assert [i for i, _ in full] == ids
        assert [e.id for e in errors] == [i for i, t in full if t is None] and len(errors) == 1
        for k in range(len(full) + 1):
            assert list(read_records(path, skip=k)) == full[k:]
    full = list(read_records(str(warc)))
    assert len(full) == 2 and paragraphs[21] in full[1][1] and list(read_records(str(warc), skip=1)) == full[1:]

    idx = str(tmp_path / "idx")
    r = run_cli("index", "build", "--input", str(gz), "--input", str(parquet), "--input", str(warc), "--index", idx)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count(b"; skipped") == 2 and b"not valid JSON" in r.stderr and b"no text in column" in r.stderr
    with SourceIndex(idx, create=False) as index:
        assert len(index) == 3 + 6 + 2
        assert index.resume_point(str(gz)) == (4, True) and index.resume_point(str(parquet)) == (7, True)
