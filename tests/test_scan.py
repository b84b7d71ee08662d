"""unspin scan: every input format, bad records, resume after kill -9, local vs Ray identity, grouping."""
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import unspin
from unspin.scan import ScanError, scan
from unspin.scan import grouping
from unspin.scan.progress import Progress

PARAGRAPHS = [
    "The company said on Tuesday that it would cut 200 jobs at its plant in Ohio, blaming falling demand for "
    "its cars. Workers were told of the decision at a meeting in the morning, and the union said it would "
    "fight the plan.",
    "The city council voted last night to build a new library near the river. The project will cost about "
    "four million dollars and should open in two years, the mayor told reporters after the meeting.",
    "Heavy rain caused flooding across the north of the country on Sunday. Several roads were closed and "
    "hundreds of homes lost power, while the weather service warned that more storms were expected.",
    "The team won its third game in a row after a late goal from the young striker. The coach said the "
    "players had worked hard all week and deserved the result in front of their home crowd.",
    "Scientists have found a new species of frog in the mountains of the south. The small green animal "
    "lives near fast streams and was first seen by a student during a field trip last spring.",
    "The bank raised interest rates for the second time this year to slow rising prices. Officials said "
    "they would watch the economy closely and were ready to act again if it was needed.",
]
FAST = dict(workers=1, progress="none", log=lambda m: None)


def corpus(n):
    """n distinct short documents (id, text)."""
    return [(f"doc-{i:03d}", f"{PARAGRAPHS[i % len(PARAGRAPHS)]} Report number {i}.") for i in range(n)]


def write_jsonl(path, docs, opener=open):
    with opener(path, "wb") as fh:
        for doc_id, text in docs:
            fh.write((json.dumps({"id": doc_id, "text": text}) + "\n").encode())


def rows(out):
    t = pq.read_table(os.path.join(out, "shards"))
    return sorted(t.to_pylist(), key=lambda r: (r["input"], r["record"]))


def by_id(out):
    return {r["id"]: r for r in rows(out)}


def expected(text, doc_id):
    return unspin.check(text, doc_id=doc_id).to_dict()


def assert_checked(row, text):
    want = expected(text, row["id"])
    assert row["error"] is None
    assert {k: row[k] for k in want} == want


# -- formats -------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_plain_gzip_zstd(tmp_path, suffix):
    import zstandard

    docs = corpus(5)
    path = str(tmp_path / f"in{suffix}")
    if suffix.endswith(".gz"):
        write_jsonl(path, docs, gzip.open)
    elif suffix.endswith(".zst"):
        buf = io.BytesIO()
        write_jsonl(buf, docs, lambda b, mode: _Keep(b))
        with open(path, "wb") as fh:
            fh.write(zstandard.ZstdCompressor().compress(buf.getvalue()))
    else:
        write_jsonl(path, docs)
    out = str(tmp_path / "out")
    s = scan([path], out, shard_size=2, **FAST)
    assert s["documents"] == 5 and s["errors"] == 0 and s["complete"]
    got = by_id(out)
    for doc_id, text in docs:
        assert_checked(got[doc_id], text)
    assert [r["record"] for r in rows(out)] == [0, 1, 2, 3, 4]


def test_default_shard_size_and_seeking_into_jsonl(tmp_path):
    from unspin.scan.run import auto_shard_size

    assert [auto_shard_size(n) for n in (1, 640, 6400, 10**7)] == [10, 10, 100, 500]
    docs = corpus(12)
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, docs)
    out = str(tmp_path / "out")
    s = scan([path], out, **FAST)
    assert s["shards"] == 2  # 10 + 2 records; the second shard seeks to record 10's byte offset
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["inputs"][0]["offsets"] == {"0": 0, "10": sum(len(json.dumps({"id": i, "text": t})) + 1
                                                                  for i, t in docs[:10])}
    assert [r["id"] for r in rows(out)] == [d for d, _ in docs]
    assert_checked(rows(out)[11], docs[11][1])


class _Keep:
    """A context manager over a BytesIO that does not close it."""

    def __init__(self, b):
        self.b = b

    def __enter__(self):
        return self.b

    def __exit__(self, *a):
        return False


def test_parquet_with_chosen_columns(tmp_path):
    docs = corpus(4)
    path = str(tmp_path / "in.parquet")
    table = pa.table({"url_key": [d[0] for d in docs], "body": [d[1] for d in docs], "other": [1, 2, 3, 4]})
    pq.write_table(table, path, row_group_size=3)  # two row groups, shards cross them
    out = str(tmp_path / "out")
    s = scan([path], out, shard_size=3, text_field="body", id_field="url_key", **FAST)
    assert s["documents"] == 4
    got = by_id(out)
    for doc_id, text in docs:
        assert_checked(got[doc_id], text)
    with pytest.raises(ScanError, match="no column 'text'"):
        scan([path], str(tmp_path / "out2"), **FAST)


def test_plain_text_folder(tmp_path):
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(PARAGRAPHS[0])
    (folder / "sub" / "b.html").write_text(f"<html><body><p>{PARAGRAPHS[1]}</p></body></html>")
    (folder / "c.bin").write_bytes(b"\x00\x01\x02" * 100)
    (folder / ".hidden").write_text("skip me")
    out = str(tmp_path / "out")
    s = scan([str(folder)], out, **FAST)
    got = by_id(out)
    assert sorted(got) == sorted(str(folder / p) for p in ("a.txt", "sub/b.html", "c.bin"))
    assert_checked(got[str(folder / "a.txt")], PARAGRAPHS[0])
    assert "HTML input" in " ".join(got[str(folder / "sub" / "b.html")]["warnings"])
    assert "binary data" in got[str(folder / "c.bin")]["error"]
    assert s["errors"] == 1 and s["checked"] == 2


def _warc(path, records, gz=True):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        for kind, uri, ctype, body in records:
            if kind == "response":
                http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
                rec = w.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http)
            elif kind == "request":
                http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
                rec = w.create_warc_record(uri, "request", payload=io.BytesIO(b""), http_headers=http)
            else:
                rec = w.create_warc_record(uri, kind, payload=io.BytesIO(body), warc_content_type=ctype)
            w.write_record(rec)


def test_warc_and_wet(tmp_path):
    html = f"<html><body><p>{PARAGRAPHS[2]}</p></body></html>".encode()
    warc = str(tmp_path / "crawl.warc.gz")
    _warc(warc, [("request", "http://a.example/", None, b""),
                 ("response", "http://a.example/", "text/html; charset=utf-8", html),
                 ("response", "http://a.example/logo.png", "image/png", b"\x89PNG\x00\x00"),
                 ("response", "http://b.example/", "text/plain", PARAGRAPHS[3].encode())])
    wet = str(tmp_path / "crawl.warc.wet")
    _warc(wet, [("conversion", "http://c.example/", "text/plain", PARAGRAPHS[4].encode()),
                ("conversion", "http://d.example/", "text/plain", PARAGRAPHS[5].encode())], gz=False)
    out = str(tmp_path / "out")
    s = scan([warc, wet], out, shard_size=1, **FAST)  # shard_size 1: every range starts at a seek
    got = rows(out)
    assert [(r["input"], r["record"], r["url"]) for r in got] == [
        (warc, 1, "http://a.example/"), (warc, 3, "http://b.example/"),
        (wet, 0, "http://c.example/"), (wet, 1, "http://d.example/")]
    assert all(r["id"].startswith("<urn:uuid:") for r in got)
    assert_checked(got[1], PARAGRAPHS[3])
    assert_checked(got[3], PARAGRAPHS[5])
    assert s["skipped_records"] == 2 and s["documents"] == 4


# -- bad records ---------------------------------------------------------------------------------

def test_bad_records_are_recorded_and_the_run_goes_on(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"id": "ok-1", "text": PARAGRAPHS[0]}).encode(),
             b"{not json",
             b"[1, 2]",
             json.dumps({"id": "no-text", "body": "x"}).encode(),
             b"\x00\x01\x02\x03" * 20,
             json.dumps({"id": "cp1252", "text": "caf\u00e9 " + PARAGRAPHS[1]}).encode().replace(
                 b"caf\\u00e9", "caf\u00e9".encode("cp1252")),
             json.dumps({"id": "huge", "text": "word " * 5000}).encode(),
             b"",
             json.dumps({"id": 7, "text": PARAGRAPHS[2]}).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = str(tmp_path / "out")
    s = scan([str(path)], out, max_bytes=10_000, shard_size=3, **FAST)
    got = by_id(out)
    name = str(path)
    assert got["ok-1"]["error"] is None and got["7"]["error"] is None
    assert "not valid JSON" in got[f"{name}:1"]["error"]
    assert "not an object" in got[f"{name}:2"]["error"]
    assert "no string field 'text'" in got["no-text"]["error"]
    assert "binary data" in got[f"{name}:4"]["error"]
    assert got["cp1252"]["error"] is None and "Windows-1252" in got["cp1252"]["warnings"][0]
    assert "larger than --max-bytes" in got[f"{name}:6"]["error"]
    assert len(got) == 8  # the blank line is not a document
    assert s["errors"] == 5 and s["checked"] == 3 and s["complete"]
    assert s["error_kinds"]["not valid JSON"] == 1


def test_truncated_gzip_and_null_parquet_text(tmp_path):
    gz = tmp_path / "cut.jsonl.gz"
    write_jsonl(str(gz), corpus(40), gzip.open)
    data = gz.read_bytes()
    pq_path = str(tmp_path / "nulls.parquet")
    pq.write_table(pa.table({"id": ["a", "b"], "text": [PARAGRAPHS[0], None]}), pq_path)
    out = str(tmp_path / "out")
    full = scan([str(gz), pq_path], out, shard_size=100, **FAST)
    assert full["errors"] == 1
    gz.write_bytes(data[: len(data) * 2 // 3])  # a crawl file cut short
    with pytest.raises(ScanError, match="cannot read"):  # planning refuses it with the reason
        scan([str(gz)], str(tmp_path / "out2"), **FAST)
    assert "no text in column 'text'" in by_id(out)["b"]["error"]


def test_setup_errors_stop_the_scan_with_a_message(tmp_path):
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, corpus(2))
    with pytest.raises(ScanError, match="unknown profile"):
        scan([path], str(tmp_path / "o1"), profile="nope", **FAST)
    with pytest.raises(ScanError, match="index"):
        scan([path], str(tmp_path / "o2"), index=str(tmp_path / "no-such-index"), **FAST)
    with pytest.raises(ScanError, match="no such file"):
        scan([str(tmp_path / "missing.jsonl")], str(tmp_path / "o3"), **FAST)


# -- resume --------------------------------------------------------------------------------------

def test_resume_redoes_only_invalid_shards_and_refuses_other_settings(tmp_path):
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, corpus(6))
    out = str(tmp_path / "out")
    first = scan([path], out, shard_size=2, **FAST)
    before = rows(out)
    # A shard with a corrupt file, one without its marker, and a temporary file left by a kill.
    with open(os.path.join(out, "shards", "part-00000.parquet"), "wb") as fh:
        fh.write(b"garbage")
    os.unlink(os.path.join(out, "done", "part-00001.json"))
    open(os.path.join(out, "shards", ".tmp-x.parquet"), "wb").close()
    second = scan([path], out, shard_size=2, **FAST)
    assert second["shards_resumed"] == 1 and second["documents_this_run"] == 4
    assert rows(out) == before and second["documents"] == first["documents"] == 6
    assert not os.path.exists(os.path.join(out, "shards", ".tmp-x.parquet"))
    with pytest.raises(ScanError, match="other settings"):
        scan([path], out, shard_size=3, **FAST)


def test_kill_9_mid_run_then_resume_gives_every_document_once(tmp_path):
    n = 40
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, corpus(n))
    out = str(tmp_path / "out")
    cmd = [sys.executable, "-m", "unspin.cli", "scan", path, "--output", out, "--workers", "2",
           "--shard-size", "1", "--progress", "log"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    done_dir = os.path.join(out, "done")

    def markers():
        return [f for f in os.listdir(done_dir) if not f.startswith(".tmp-")] if os.path.isdir(done_dir) else []

    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if len(markers()) >= 2:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the scan finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, as a crash would
    proc.wait()
    done_at_kill = len(markers())
    assert 0 < done_at_kill < n
    res = subprocess.run(cmd + ["--json"], capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    summary = json.loads(res.stdout)
    assert summary["shards_resumed"] >= done_at_kill and summary["documents"] == n
    got = rows(out)
    assert sorted(r["id"] for r in got) == [d for d, _ in corpus(n)]  # each document exactly once
    assert all(r["error"] is None for r in got)
    for r in got[:3]:
        assert_checked(r, dict(corpus(n))[r["id"]])


# -- engines -------------------------------------------------------------------------------------

def _dir_snapshot(out):
    """Everything a scan writes that must not depend on the engine."""
    snap = {"rows": rows(out), "groups": pq.read_table(os.path.join(out, "groups.parquet")).to_pylist()}
    for f in sorted(os.listdir(os.path.join(out, "signatures"))):
        with np.load(os.path.join(out, "signatures", f)) as z:
            snap[f] = {k: z[k].tolist() for k in z.files}
    return snap


def test_local_and_ray_engines_give_identical_output(tmp_path):
    pytest.importorskip("ray")
    from unspin.eval.simulator import Spinner

    docs = corpus(10) + [(f"copy-{s}", Spinner(style="mixed", rate=0.15, seed=s).spin(PARAGRAPHS[0]).spun)
                         for s in range(2)]
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, docs)
    local = str(tmp_path / "local")
    ray_out = str(tmp_path / "ray")
    a = scan([path], local, engine="local", workers=2, shard_size=3, progress="none", log=lambda m: None)
    b = scan([path], ray_out, engine="ray", workers=2, shard_size=3, progress="none", log=lambda m: None)
    assert a["engine"] == "local" and b["engine"] == "ray"
    assert _dir_snapshot(local) == _dir_snapshot(ray_out)
    assert {k: a[k] for k in ("documents", "spun", "clean", "errors")} == \
           {k: b[k] for k in ("documents", "spun", "clean", "errors")}
    serial = str(tmp_path / "serial")
    scan([path], serial, shard_size=3, **FAST)
    assert _dir_snapshot(serial) == _dir_snapshot(local)


# -- grouping ------------------------------------------------------------------------------------

def test_spun_copies_of_one_source_are_grouped(tmp_path):
    from unspin.eval.simulator import Spinner

    docs = [("source", PARAGRAPHS[1])]
    docs += [(f"spun-{s}", Spinner(style="mixed", rate=0.15, seed=s).spin(PARAGRAPHS[1]).spun) for s in range(3)]
    docs += [(f"other-{i}", p) for i, p in enumerate(PARAGRAPHS) if i != 1]
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, docs)
    out = str(tmp_path / "out")
    s = scan([path], out, shard_size=2, **FAST)  # copies land in different shards
    groups = pq.read_table(os.path.join(out, "groups.parquet")).to_pylist()
    assert {g["id"] for g in groups} == {"source", "spun-0", "spun-1", "spun-2"}
    assert {g["group"] for g in groups} == {0} and {g["group_size"] for g in groups} == {4}
    assert s["grouping"]["groups"] == 1


def test_components_and_band_join():
    edges = np.array([[0, 1], [3, 4], [1, 2], [5, 4]])
    assert grouping.components(7, edges).tolist() == [0, 0, 0, 3, 3, 3, 6]
    sigs = np.vstack([grouping.signature(p) for p in PARAGRAPHS] + [grouping.signature(PARAGRAPHS[0])])
    bands = grouping.band_hashes(sigs).T
    order = np.argsort(bands, axis=1, kind="stable")
    runs = np.take_along_axis(bands, order, axis=1)
    # Two shards' runs (rows 0-3 and 4-6) merged band by band: only the identical pair meets.
    split = [(runs_part, order_part) for runs_part, order_part in
             [_sorted_runs(sigs[:4]), _sorted_runs(sigs[4:])]]
    pairs = grouping.candidate_pairs([r for r, _ in split], [o for _, o in split], np.array([0, 4]))
    assert pairs.tolist() == [[0, 6]]
    assert grouping.verify(pairs, sigs).tolist() == [[0, 6]]
    assert runs.shape == (grouping.BANDS, 7)


def _sorted_runs(sigs):
    bands = grouping.band_hashes(sigs).T
    order = np.argsort(bands, axis=1, kind="stable")
    return np.take_along_axis(bands, order, axis=1), order


def test_index_adds_the_source_match(tmp_path):
    from unspin.attribute import SourceIndex
    from unspin.eval.simulator import Spinner

    idx = str(tmp_path / "idx")
    with SourceIndex(idx) as index:
        index.add_many([(f"wire-{i}", p) for i, p in enumerate(PARAGRAPHS)])
    docs = [("copy", Spinner(style="mixed", rate=0.15, seed=3).spin(PARAGRAPHS[2]).spun),
            ("unrelated", "Ducks, geese and swans gather at the lake each winter to feed on weeds.")]
    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, docs)
    out = str(tmp_path / "out")
    scan([path], out, index=idx, **FAST)
    got = by_id(out)
    assert got["copy"]["source_id"] == "wire-2" and got["copy"]["source_score"] >= 0.3
    assert got["unrelated"]["source_id"] is None


# -- progress and CLI ----------------------------------------------------------------------------

def test_progress_log_lines_and_bar():
    log = io.StringIO()
    p = Progress(10, mode="log", every=0.0, stream=log)
    p.update(5)
    p.update(5)
    p.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and "10/10 records (100.0%)" in lines[1] and "docs/s" in lines[1] and "ETA" in lines[0]

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    p = Progress(10, stream=tty)
    p.update(10)
    p.close()
    assert p.mode == "bar" and "10/10" in tty.getvalue() and "doc/s" in tty.getvalue()


def test_cli_scan_json_summary(tmp_path):
    from conftest import run_cli

    path = str(tmp_path / "in.jsonl")
    write_jsonl(path, corpus(2))
    out = str(tmp_path / "out")
    res = run_cli("scan", path, "--output", out, "--workers", "1", "--json")
    assert res.returncode == 0, res.stderr.decode()
    s = json.loads(res.stdout)
    assert s["documents"] == 2 and s["complete"] and os.path.exists(os.path.join(out, "summary.json"))
    assert "documents" in res.stderr.decode() or s["documents_this_run"] == 2
    res = run_cli("scan", path, "--output", out, "--shard-size", "1")
    assert res.returncode == 2 and b"other settings" in res.stderr
