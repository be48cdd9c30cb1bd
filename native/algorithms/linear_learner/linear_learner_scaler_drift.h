// Rows after the scaler's sample that its scaling does not fit. The scaler takes each feature's
// shift and scale from the first num_point_for_scaler rows; a column those rows did not show
// varying (constant there: a field that starts later in a log, a file sorted by it) is then left
// unscaled, and values thousands of times its sample's spread threw the model off without a word
// (test log loss 9.3 where the shuffled rows gave 0.134). These counts let the first pass say so.
#pragma once

#include <cstddef>

#include "runtime/batch_view.h"

namespace boundless {
namespace linear {

// A scaled value |x − shift|·scale beyond this is far outside the feature's sample: 100 standard
// deviations (a Gaussian feature never gets there; a heavy-tailed one does now and then, which the
// warning's share of rows tells apart from a column that changed).
constexpr double kScalerDriftDeviations = 100;

// The layout of the counts (dim + 1 float64s): rows counted after the sample, then each feature's far values.
enum ScalerDriftSlot : size_t { kDriftRows = 0, kDriftFeatures = 1 };

// Adds rows [first, b.rows) of a batch into `drift` (dim + 1): the rows, and each value whose scaled
// size (dense rows: |x − shift|·scale; sparse rows, never centred: |x|·scale) is beyond
// kScalerDriftDeviations. One thread, rows in order.
void AddScalerDrift(double* drift, const float* shift, const float* scale, const BatchView& b, size_t first);

}  // namespace linear
}  // namespace boundless
