"""scikit-learn peers of the k-means benchmark, each run `repeats` times with random_state
0, 1, ...: KMeans(init='k-means++', n_init=1) to convergence (full Lloyd's: the quality
reference), MiniBatchKMeans one pass of partial_fit over batches, and MiniBatchKMeans.fit (to
convergence, n_init=1). Inertia: the sum of squared distances of every point to its nearest
centre. Prints one JSON object. Run with Debian's /usr/bin/python3, one thread.
argv: points.f32 dim k batch repeats"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans


def main():
    path, dim, k, batch, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    x = np.fromfile(path, dtype=np.float32).reshape(-1, dim)
    peers = {
        "KMeans": [],
        "MiniBatchKMeans one pass": [],
        "MiniBatchKMeans.fit": [],
    }
    for seed in range(repeats):
        t0 = time.perf_counter()
        full = KMeans(n_clusters=k, init="k-means++", n_init=1, random_state=seed).fit(x)
        peers["KMeans"].append({"seed": seed, "seconds": time.perf_counter() - t0, "inertia": float(full.inertia_), "iterations": int(full.n_iter_)})

        t0 = time.perf_counter()
        one_pass = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=1, random_state=seed)
        for start in range(0, len(x), batch):
            one_pass.partial_fit(x[start:start + batch])
        seconds = time.perf_counter() - t0
        peers["MiniBatchKMeans one pass"].append({"seed": seed, "seconds": seconds, "inertia": float(-one_pass.score(x))})

        t0 = time.perf_counter()
        converged = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=1, random_state=seed).fit(x)
        seconds = time.perf_counter() - t0
        peers["MiniBatchKMeans.fit"].append({"seed": seed, "seconds": seconds, "inertia": float(-converged.score(x)), "iterations": int(converged.n_iter_)})
    print(json.dumps({"peers": peers, "sklearn": sklearn.__version__, "numpy": np.__version__}))


main()
