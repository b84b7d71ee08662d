"""`unspin cache`: what unspin keeps in its cache folder, built ahead or cleared, touching nothing else."""
import os
import subprocess
import sys


def cache_cli(root, *args: str) -> str:
    env = {**os.environ, "UNSPIN_CACHE_DIR": str(root)}
    out = subprocess.run([sys.executable, "-m", "unspin.cli", "cache", *args], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cache_lists_and_clears_only_what_unspin_wrote(tmp_path):
    (tmp_path / "lexicon-abc-123.pickle").write_bytes(b"x" * 2_000_000)
    (tmp_path / "ngram-en-us-1-2-3.npz").write_bytes(b"x")
    (tmp_path / "SmolLM2-135M-Instruct.Q4_1-1-2-bfloat16").mkdir()
    (tmp_path / "SmolLM2-135M-Instruct.Q4_1-1-2-bfloat16" / "weights.pt").write_bytes(b"x" * 1_000_000)
    (tmp_path / "notes.txt").write_text("someone else's")
    listed = cache_cli(tmp_path)
    assert "lexicon-abc-123.pickle" in listed and "2.0 MB" in listed and "1.0 MB" in listed
    assert "notes.txt" not in listed and "in 3 entries" in listed
    cleared = cache_cli(tmp_path, "--clear")
    assert "in 0 entries" in cleared and os.listdir(tmp_path) == ["notes.txt"]


def test_cache_build_writes_the_lexicon_and_ngram_copies(tmp_path):
    built = cache_cli(tmp_path, "--build")
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 2 and names[0].startswith("lexicon-") and names[1].startswith("ngram-")
    assert all(n in built for n in names)
