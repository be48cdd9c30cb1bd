// C += AᵀB in float64 from packed panels: the register-tiled core of PCA's
// moment update (the symmetric Σ w·x xᵀ, lower triangle only) and of its
// randomized sketch (X·Ω, then Xᵀ·T). GotoBLAS-style: A comes as panels of
// kPanelRows columns and B as panels of kPanelCols columns, each panel
// contiguous along the summed dimension; a kPanelRows × kPanelCols register
// tile (AVX-512, AVX2 or baseline, chosen at load) sums over it with FMAs. A
// group of A-panels stays in L2 while each B-panel (L1) meets all of them.
// Every entry of C is summed in one fixed order, whatever the thread count.
#pragma once

#include <cstddef>
#include <vector>

namespace boundless {

constexpr size_t kPanelRows = 6, kPanelCols = 8;

inline size_t PanelCount(size_t extent, size_t width) { return (extent + width - 1) / width; }

// C[i][j] (i < m, j < n; row stride ldc) += Σ_{s<k} A[s][i]·B[s][j], where panel p of
// a_panels holds A[s][p·kPanelRows + a] at p·k·kPanelRows + s·kPanelRows + a (zero
// beyond m), and likewise b_panels with kPanelCols. lower_only: C is symmetric and
// only j ≤ i is written (tiles above the diagonal are skipped).
void AccumulatePanelProduct(const double* a_panels, const double* b_panels, size_t k, size_t m, size_t n, double* c,
                            size_t ldc, bool lower_only);

// Packs rows of a row-major matrix (rows × cols, float or double source through `at`)
// into column panels of `width`: out[p][r][a] = at(r, p·width + a), zero beyond cols.
template <typename At>
void PackColumnPanels(size_t rows, size_t cols, size_t width, At at, std::vector<double>& out) {
  out.assign(PanelCount(cols, width) * width * rows, 0.0);
  for (size_t p = 0; p * width < cols; p++) {
    double* panel = out.data() + p * width * rows;
    size_t count = cols - p * width < width ? cols - p * width : width;
    for (size_t r = 0; r < rows; r++) {
      for (size_t a = 0; a < count; a++) panel[r * width + a] = at(r, p * width + a);
    }
  }
}

}  // namespace boundless
