"""A one-hidden-layer network for site decisions, trained and evaluated with numpy alone.

Why not only a logistic model: the evidence interacts. A large neural gain means little when the
written word is itself likely in context, and the n-gram and neural opinions matter most when they
disagree; a linear model must average these cases, a small tanh layer can separate them. It is
trained by log loss (``scripts/train_decision.py``, where it is the default site model), so its
output stays a probability, and it is small enough (features x 16 weights) to ship as JSON.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass
class SiteMLP:
    """Standardise, tanh hidden layer, logistic output."""

    features: tuple[str, ...]
    mu: np.ndarray
    sd: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        H = np.tanh(((X - self.mu) / self.sd) @ self.W1 + self.b1)
        return 1.0 / (1.0 + np.exp(-np.clip(H @ self.w2 + self.b2, -40, 40)))

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, features: Sequence[str], hidden: int = 16, l2: float = 1e-3,
            epochs: int = 600, lr: float = 0.02, seed: int = 0, weights: np.ndarray | None = None) -> "SiteMLP":
        """Full-batch Adam on log loss with L2 on the weights; deterministic for a seed. ``weights``:
        each row's share of the loss (default: equal), e.g. to give one spinning style less say."""
        rng = np.random.default_rng(seed)
        mu, sd = X.mean(0), X.std(0) + 1e-9
        Z = (X - mu) / sd
        n, d = Z.shape
        scale = 1.0 if weights is None else np.asarray(weights, dtype=float) * (n / np.sum(weights))
        P = {"W1": rng.normal(0, 1 / math.sqrt(d), (d, hidden)), "b1": np.zeros(hidden),
             "w2": rng.normal(0, 1 / math.sqrt(hidden), hidden), "b2": np.zeros(1)}
        m1 = {k: np.zeros_like(v) for k, v in P.items()}
        m2 = {k: np.zeros_like(v) for k, v in P.items()}
        for t in range(1, epochs + 1):
            H = np.tanh(Z @ P["W1"] + P["b1"])
            p = 1 / (1 + np.exp(-np.clip(H @ P["w2"] + P["b2"], -40, 40)))
            g = (p - y) * scale / n
            dH = np.outer(g, P["w2"]) * (1 - H ** 2)
            G = {"w2": H.T @ g + l2 * P["w2"], "b2": np.array([g.sum()]),
                 "W1": Z.T @ dH + l2 * P["W1"], "b1": dH.sum(0)}
            for k in P:
                m1[k] = 0.9 * m1[k] + 0.1 * G[k]
                m2[k] = 0.999 * m2[k] + 0.001 * G[k] ** 2
                P[k] -= lr * (m1[k] / (1 - 0.9 ** t)) / (np.sqrt(m2[k] / (1 - 0.999 ** t)) + 1e-8)
        return cls(tuple(features), mu, sd, P["W1"], P["b1"], P["w2"], float(P["b2"][0]))

    def to_dict(self) -> dict:
        return {"kind": "mlp", "features": list(self.features), "mu": self.mu.tolist(), "sd": self.sd.tolist(),
                "W1": self.W1.tolist(), "b1": self.b1.tolist(), "w2": self.w2.tolist(), "b2": self.b2}

    @classmethod
    def from_dict(cls, d: dict) -> "SiteMLP":
        return cls(tuple(d["features"]), np.array(d["mu"]), np.array(d["sd"]), np.array(d["W1"]),
                   np.array(d["b1"]), np.array(d["w2"]), float(d["b2"]))
