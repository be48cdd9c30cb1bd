"""Peers of the neural-topic-model benchmark (bench/ntm.ts): online variational LDA from
scikit-learn and gensim on the same libsvm bag-of-words files (label 0, 1-based `index:count`,
bench/ntm-data.ts), and the topic-quality scores (NPMI, TU) that `boundless evaluate` computes
too, so a Boundless model can be scored by this same code. Run with Debian's /usr/bin/python3
(python3-sklearn 1.2.1, python3-gensim).

  ntm_lda.py run --impl sklearn-1pass|sklearn-5epochs|gensim --train T --test T --vocab V [--topics 20]
      one implementation in this process; prints one JSON object
  ntm_lda.py all --train T --test T --vocab V [--topics 20] [--impls a,b,c]
      each implementation in a process of its own (its own peak RSS); one JSON object a line
  ntm_lda.py score-model --model M --test T [--vocab V]
      NPMI and TU of a Boundless model.safetensors (float32 `topic_word`, [num_topics, feature_dim])

One thread: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS default to 1.

Definitions (identical in `boundless evaluate`):
- top words: each topic's 10 words of largest weight (sklearn: components_; gensim: the
  normalised topic-word matrix; Boundless: a row of topic_word), ties to the smaller word id
  (a stable sort of the negated row).
- NPMI over a reference set of documents (the test documents): P(w) = fraction of documents
  containing w, P(wi, wj) = fraction containing both; NPMI(wi, wj) = log(P(wi, wj) / (P(wi)
  P(wj))) / (-log P(wi, wj)), -1 when P(wi, wj) = 0, 1 when P(wi, wj) = 1; a topic's NPMI is the
  mean over its 45 pairs, the model's the mean over topics.
- TU: mean over topics of (mean over its 10 words of 1 / the number of topics whose top 10
  contain the word).
- perplexity: the library's own held-out estimate, exp(-bound / total words of the test file),
  bound = the variational lower bound (ELBO) of the test documents, each document's topic
  proportions inferred with the topics fixed (sklearn: 100 iterations at most; gensim: 50), plus
  once the topics' own term E[log p(beta | eta) - log q(beta | lambda)]. sklearn's
  perplexity(X) and exp(-gensim's log_perplexity(X)) are that same formula (checked in both
  sources). gensim's log line prints 2^(-per-word bound), but its bound is in nats: exp, not
  exp2, is the comparable number (both are reported). perplexity_documents_only leaves out the
  topics' term (a property of the posterior over the topics, not of the test documents), which is
  what a model with point-estimate topics (an NTM) is comparable with.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

_t0 = time.perf_counter()
import numpy as np  # noqa: E402
from scipy.special import gammaln, psi  # noqa: E402
from sklearn.datasets import load_svmlight_file  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _t0
IMPLEMENTATIONS = ("sklearn-1pass", "sklearn-5epochs", "gensim")
TOP = 10


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_vocab(path):
    with open(path, encoding="utf8") as f:
        return [line.rstrip("\n") for line in f]


def load(path, n_features):
    """libsvm, 1-based indices (the project's convention), counts as float64."""
    x, _ = load_svmlight_file(path, n_features=n_features, dtype=np.float64, zero_based=False)
    return x.tocsr()


# ------------------------------------------------------------------------------------------
# Topic quality


def top_words(topic_word, top=TOP):
    """Each row's `top` largest entries, ties to the smaller id (stable sort of the negated row)."""
    return [np.argsort(-np.asarray(row, dtype=np.float64), kind="stable")[:top] for row in topic_word]


def npmi_tu(tops, reference):
    """NPMI (mean over topics of the mean over pairs) on the reference documents, and TU."""
    present = reference.copy()
    present.data = (present.data > 0).astype(np.float64)
    present.eliminate_zeros()
    present = present.tocsc()
    n = present.shape[0]
    topic_npmi = []
    for words in tops:
        sub = present[:, words].toarray()
        joint = (sub.T @ sub) / n  # joint[i, j] = P(wi, wj); diagonal = P(wi)
        p = np.diag(joint)
        values = []
        for i in range(len(words)):
            for j in range(i + 1, len(words)):
                pij = joint[i, j]
                if pij == 0:
                    values.append(-1.0)
                elif pij == 1:
                    values.append(1.0)
                else:
                    values.append(float(np.log(pij / (p[i] * p[j])) / -np.log(pij)))
        topic_npmi.append(float(np.mean(values)))
    counts = {}
    for words in tops:
        for w in words:
            counts[int(w)] = counts.get(int(w), 0) + 1
    tu = float(np.mean([np.mean([1.0 / counts[int(w)] for w in words]) for words in tops]))
    return float(np.mean(topic_npmi)), tu, topic_npmi


def quality(topic_word, test, vocab):
    tops = top_words(topic_word)
    npmi, tu, per_topic = npmi_tu(tops, test)
    return {
        "npmi": npmi, "tu": tu, "topic_npmi": per_topic,
        "top_words": [[vocab[int(w)] if vocab else int(w) for w in words] for words in tops],
    }


def topics_term(lam, eta):
    """E[log p(beta | eta) - log q(beta | lambda)] as sklearn's _approx_bound and gensim's bound add it."""
    lam = np.asarray(lam, dtype=np.float64)
    eta = np.broadcast_to(np.asarray(eta, dtype=np.float64), (lam.shape[1],))
    elog = psi(lam) - psi(lam.sum(axis=1))[:, None]
    return float(np.sum((eta - lam) * elog) + np.sum(gammaln(lam) - gammaln(eta)[None, :]) + np.sum(gammaln(eta.sum()) - gammaln(lam.sum(axis=1))))


# ------------------------------------------------------------------------------------------
# safetensors, read with numpy alone

DTYPES = {"F32": np.float32, "F64": np.float64}


def read_safetensors(path, name):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    header_len = int.from_bytes(raw[:8], "little")
    if header_len > len(raw) - 8:
        raise ValueError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(raw[8:8 + header_len].decode("utf8"))
    if name not in header:
        raise ValueError(f"{path}: no tensor '{name}' (has {', '.join(k for k in header if k != '__metadata__')})")
    entry = header[name]
    if entry["dtype"] not in DTYPES:
        raise ValueError(f"{path}: tensor '{name}' is {entry['dtype']}, expected F32")
    begin, end = entry["data_offsets"]
    data = raw[8 + header_len + begin:8 + header_len + end]
    dtype = np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<")
    shape = tuple(entry["shape"])
    if len(data) != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"{path}: tensor '{name}' has {len(data)} bytes for shape {list(shape)}")
    return np.frombuffer(data, dtype=dtype).reshape(shape), header.get("__metadata__", {})


def score_model(args):
    vocab = read_vocab(args.vocab) if args.vocab else None
    topic_word, metadata = read_safetensors(args.model, "topic_word")
    if topic_word.ndim != 2:
        raise ValueError(f"{args.model}: topic_word has shape {list(topic_word.shape)}, expected [num_topics, feature_dim]")
    if vocab is not None and len(vocab) != topic_word.shape[1]:
        raise ValueError(f"{args.vocab} has {len(vocab)} words but topic_word has {topic_word.shape[1]} columns")
    test = load(args.test, topic_word.shape[1])
    out = {"model": args.model, "topics": topic_word.shape[0], "feature_dim": topic_word.shape[1], "reference_documents": test.shape[0]}
    out.update(quality(topic_word, test, vocab))
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------
# The peers


def run_sklearn(train_path, test, vocab, k, epochs):
    import sklearn
    from sklearn.decomposition import LatentDirichletAllocation

    t0 = time.perf_counter()
    x = load(train_path, len(vocab))
    load_seconds = time.perf_counter() - t0
    n = x.shape[0]
    lda = LatentDirichletAllocation(n_components=k, learning_method="online", learning_offset=10.0, learning_decay=0.7,
                                    batch_size=1024, total_samples=n, random_state=0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for start in range(0, n, 1024):
            lda.partial_fit(x[start:start + 1024])
    fit_seconds = time.perf_counter() - t0
    rss_train = peak_rss_mb()
    t0 = time.perf_counter()
    perplexity = float(lda.perplexity(test))
    eval_seconds = time.perf_counter() - t0
    words = float(test.sum())
    bound = -np.log(perplexity) * words
    term = topics_term(lda.components_, lda.topic_word_prior_)
    out = {
        "implementation": f"scikit-learn LatentDirichletAllocation, online, {'one pass' if epochs == 1 else f'{epochs} epochs'} of partial_fit",
        "library": "scikit-learn", "version": sklearn.__version__, "epochs": epochs,
        "settings": {"n_components": k, "learning_method": "online", "learning_offset": 10.0, "learning_decay": 0.7, "batch_size": 1024,
                     "total_samples": n, "random_state": 0, "doc_topic_prior": lda.doc_topic_prior_, "topic_word_prior": lda.topic_word_prior_,
                     "max_doc_update_iter": lda.max_doc_update_iter, "mean_change_tol": lda.mean_change_tol,
                     "calls": "partial_fit on consecutive slices of 1,024 rows, in file order, each epoch"},
        "load": "sklearn.datasets.load_svmlight_file (float64 CSR)",
        "load_seconds": load_seconds, "fit_seconds": fit_seconds, "seconds": load_seconds + fit_seconds,
        "perplexity": perplexity, "perplexity_documents_only": float(np.exp(-(bound - term) / words)),
        "test_bound": float(bound), "topics_term": term, "eval_seconds": eval_seconds,
        "peak_rss_mb_train": rss_train,
    }
    out.update(quality(lda.components_, test, vocab))
    return out, n, x


def run_gensim(train_path, test, vocab, k):
    import logging
    import gensim
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaModel

    logging.getLogger("gensim").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    x = load(train_path, len(vocab))
    corpus = Sparse2Corpus(x, documents_columns=False)
    load_seconds = time.perf_counter() - t0
    id2word = dict(enumerate(vocab))
    t0 = time.perf_counter()
    lda = LdaModel(corpus=corpus, id2word=id2word, num_topics=k, chunksize=1024, passes=1, update_every=1, eval_every=None, random_state=0)
    fit_seconds = time.perf_counter() - t0
    rss_train = peak_rss_mb()
    test_corpus = list(Sparse2Corpus(test, documents_columns=False))
    t0 = time.perf_counter()
    per_word_bound = float(lda.log_perplexity(test_corpus))
    eval_seconds = time.perf_counter() - t0
    words = float(test.sum())
    bound = per_word_bound * words
    term = topics_term(lda.state.get_lambda(), lda.eta)
    out = {
        "implementation": "gensim LdaModel, online, passes=1",
        "library": "gensim", "version": gensim.__version__, "epochs": 1,
        "settings": {"num_topics": k, "chunksize": 1024, "passes": 1, "update_every": 1, "eval_every": None, "random_state": 0,
                     "defaults": {"alpha": "symmetric (1/K)", "eta": "symmetric (1/K)", "decay": lda.decay, "offset": lda.offset,
                                  "iterations": lda.iterations, "gamma_threshold": lda.gamma_threshold, "dtype": "float32"}},
        "load": "sklearn.datasets.load_svmlight_file (float64 CSR) + gensim.matutils.Sparse2Corpus (a view, streamed during training)",
        "load_seconds": load_seconds, "fit_seconds": fit_seconds, "seconds": load_seconds + fit_seconds,
        "perplexity": float(np.exp(-per_word_bound)), "perplexity_documents_only": float(np.exp(-(bound - term) / words)),
        "perplexity_gensim_log_line": float(np.exp2(-per_word_bound)), "per_word_bound": per_word_bound,
        "test_bound": bound, "topics_term": term, "eval_seconds": eval_seconds,
        "peak_rss_mb_train": rss_train,
    }
    out.update(quality(lda.get_topics(), test, vocab))
    return out, x.shape[0], x


def run_one(args):
    vocab = read_vocab(args.vocab)
    test = load(args.test, len(vocab))
    if args.impl == "sklearn-1pass":
        out, n, x = run_sklearn(args.train, test, vocab, args.topics, 1)
    elif args.impl == "sklearn-5epochs":
        out, n, x = run_sklearn(args.train, test, vocab, args.topics, 5)
    elif args.impl == "gensim":
        out, n, x = run_gensim(args.train, test, vocab, args.topics)
    else:
        raise SystemExit(f"unknown --impl {args.impl}; known: {', '.join(IMPLEMENTATIONS)}")
    out.update({
        "topics": args.topics, "train_documents": int(n), "train_tokens": float(x.sum()), "train_nonzeros": int(x.nnz),
        "test_documents": int(test.shape[0]), "test_tokens": float(test.sum()),
        "import_seconds": IMPORT_SECONDS, "peak_rss_mb": peak_rss_mb(),
        "python": sys.version.split()[0], "numpy": np.__version__,
    })
    print(json.dumps(out))


def run_all(args):
    impls = args.impls.split(",") if args.impls else list(IMPLEMENTATIONS)
    for impl in impls:
        cmd = [sys.executable, os.path.abspath(__file__), "run", "--impl", impl, "--train", args.train, "--test", args.test,
               "--vocab", args.vocab, "--topics", str(args.topics)]
        t0 = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            if impl == "gensim" and "No module named 'gensim'" in result.stderr:
                print(json.dumps({"implementation": "gensim LdaModel", "skipped": "gensim is not installed (apt-get install python3-gensim)"}))
                continue
            sys.stderr.write(result.stderr)
            raise SystemExit(f"{impl} failed (exit {result.returncode})")
        out = json.loads(result.stdout.strip().splitlines()[-1])
        out["process_seconds"] = time.perf_counter() - t0
        print(json.dumps(out), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "all"):
        p = sub.add_parser(name)
        if name == "run":
            p.add_argument("--impl", required=True, choices=IMPLEMENTATIONS)
        else:
            p.add_argument("--impls", help=f"comma-separated subset of {','.join(IMPLEMENTATIONS)}")
        p.add_argument("--train", required=True)
        p.add_argument("--test", required=True)
        p.add_argument("--vocab", required=True)
        p.add_argument("--topics", type=int, default=20)
    p = sub.add_parser("score-model")
    p.add_argument("--model", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--vocab")
    args = parser.parse_args()
    {"run": run_one, "all": run_all, "score-model": score_model}[args.command](args)


if __name__ == "__main__":
    main()
