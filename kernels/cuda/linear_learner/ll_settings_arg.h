// The linear-learner bindings' settings argument: a Float64Array [dim, models, classes, loss,
// margin, quantile, insensitivity, huberDelta, useBias, histogramBins, histogramLogScale, topK,
// threshold], and the metric sums' offsets `at` (Int32Array, each sum's first float64 in a buffer
// of `sums`, −1: not wanted), checked so that no sum reaches past the buffer.
#pragma once

#include <napi.h>

#include "linear_learner/ll_settings.cuh"

namespace boundless_cuda {

// info[0] as LinearSettings (at left unset).
LinearSettings LinearSettingsArg(const Napi::CallbackInfo& info, const char* fn);

// info[at_index] (`count` offsets, the rest −1) and info[at_index + 1] (the sums) into s.
void LinearSumsArg(const Napi::CallbackInfo& info, const char* fn, size_t at_index, int count, LinearSettings& s);

}  // namespace boundless_cuda
