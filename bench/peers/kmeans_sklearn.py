"""scikit-learn peers of the k-means benchmark: KMeans (full Lloyd's, k-means++),
MiniBatchKMeans one pass of partial_fit, and MiniBatchKMeans.fit (to convergence).
Prints one JSON object. Run with Debian's /usr/bin/python3."""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans


def main():
    path, dim, k, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(path, dtype=np.float32).reshape(-1, dim)
    rows = []

    t0 = time.perf_counter()
    full = KMeans(n_clusters=k, n_init=3, random_state=0).fit(x)
    rows.append({"implementation": "scikit-learn KMeans (Lloyd's, k-means++, best of 3)", "seconds": time.perf_counter() - t0, "inertia": float(full.inertia_)})

    t0 = time.perf_counter()
    one_pass = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=1, random_state=0)
    for start in range(0, len(x), batch):
        one_pass.partial_fit(x[start:start + batch])
    seconds = time.perf_counter() - t0
    inertia = float(-one_pass.score(x))
    rows.append({"implementation": "scikit-learn MiniBatchKMeans (one pass of partial_fit)", "seconds": seconds, "inertia": inertia})

    t0 = time.perf_counter()
    converged = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=3, random_state=0).fit(x)
    seconds = time.perf_counter() - t0
    rows.append({"implementation": "scikit-learn MiniBatchKMeans.fit (to convergence, best of 3)", "seconds": seconds, "inertia": float(-converged.score(x))})
    print(json.dumps({"rows": rows, "sklearn": __import__("sklearn").__version__}))


main()
