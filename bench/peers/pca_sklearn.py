"""scikit-learn peers of the PCA benchmark: PCA (full SVD, the reference) and IncrementalPCA
(one pass in batches). Prints one JSON object with times, explained variances and components."""
import json
import sys
import time

import numpy as np
from sklearn.decomposition import PCA, IncrementalPCA


def main():
    path, dim, k, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(path, dtype=np.float32).reshape(-1, dim)
    rows = []
    t0 = time.perf_counter()
    full = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
    rows.append({"implementation": "scikit-learn PCA (full SVD, float64)", "seconds": time.perf_counter() - t0,
                 "explained_variance": full.explained_variance_.tolist(), "components": full.components_.ravel().tolist()})
    t0 = time.perf_counter()
    inc = IncrementalPCA(n_components=k, batch_size=batch)
    for start in range(0, len(x), batch):
        inc.partial_fit(x[start:start + batch])
    rows.append({"implementation": "scikit-learn IncrementalPCA (one pass, batches of %d)" % batch, "seconds": time.perf_counter() - t0,
                 "explained_variance": inc.explained_variance_.tolist(), "components": inc.components_.ravel().tolist()})
    print(json.dumps({"rows": rows, "sklearn": __import__("sklearn").__version__}))


main()
