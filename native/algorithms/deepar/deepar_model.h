// The DeepAR model around its network (Salinas et al. 2020): what goes into each step
// (lagged targets, calendar features, the series' age and scale, dynamic features, learned
// embeddings of the categorical features), the window reservoir training draws from, a
// training round of optimizer steps, and forecasts as Monte-Carlo sample paths.
//
// Scaling: each window's targets are divided by ν = 1 + the mean |z| of the observed context
// values (the paper's §3.3; ν = 1 for the beta likelihood, whose values live in (0, 1)); the
// negative binomial instead models raw counts with ν inside its parameters (nn/likelihood.h).
// Windows: a window is the span [s − C, s + P) of a series (C = context_length, P =
// prediction_length) for a forecast start s in [0, length − P], plus the max-lag values before it;
// positions before the series start are missing (no loss, lag inputs 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithms/deepar/deepar_network.h"
#include "algorithms/deepar/time_features.h"

namespace boundless {
namespace deepar {

struct ModelShape {
  size_t context = 0, prediction = 0;   // C, P
  std::vector<uint32_t> lags;           // ascending, ≥ 1 (lag 1: the previous value)
  FeatureSet feature_set = FeatureSet::kDay;
  TimeUnit unit = TimeUnit::kDay;
  int64_t multiple = 1;                 // base units per step ("5min": 5 minutes)
  size_t dynamic = 0;                   // D, dynamic features
  std::vector<uint32_t> cardinality;    // rows of each categorical feature's embedding table
  size_t embedding = 0;                 // E
  bool scale_inputs = true;             // false: ν = 1 (beta)
  NetworkSettings network;              // network.features is Features()

  size_t MaxLag() const { return lags.empty() ? 0 : lags.back(); }
  size_t Steps() const { return context + prediction; }
  size_t History() const { return MaxLag() + Steps(); }
  size_t TimeFeatureOffset() const { return lags.size(); }
  size_t AgeOffset() const { return lags.size() + TimeFeatureCount(feature_set); }
  size_t DynamicOffset() const { return AgeOffset() + 2; }  // age, log ν
  size_t EmbeddingInputOffset() const { return DynamicOffset() + dynamic; }
  size_t Features() const { return EmbeddingInputOffset() + cardinality.size() * embedding; }
  // Parameters: the network's, then each embedding table [cardinality_k × E].
  size_t NetworkParameters() const { return MakeNetworkLayout(network).parameters; }
  size_t EmbeddingParameters() const;
  size_t Parameters() const { return NetworkParameters() + EmbeddingParameters(); }
};

// The reservoir of training windows: fixed arrays the state owns (capacity R).
struct Reservoir {
  size_t capacity = 0;
  float* targets = nullptr;   // [R × History]
  float* dynamic = nullptr;   // [R × Steps × D]
  int32_t* cats = nullptr;    // [R × K] embedding rows
  double* origin = nullptr;   // [R] base-unit index of the window's first step
  double* age = nullptr;      // [R] series position of the first step (negative: before the start)
  float* scale = nullptr;     // [R] ν
  double* keys = nullptr;     // [R] weighted-sampling keys log(u)/ν
  double* counters = nullptr; // [filled, windows offered, series offered]
};

// One series as the model reads it.
struct SeriesView {
  const float* target = nullptr;   // [length], NaN: missing
  size_t length = 0;
  double start = 0;                // base-unit index of position 0
  const int32_t* cats = nullptr;   // [K] embedding rows
  const float* dynamic = nullptr;  // [D × dynamic_length], feature by feature
  size_t dynamic_length = 0;
};

// Offers every window of the series to the reservoir: an A-Res weighted reservoir sample
// (Efraimidis & Spirakis 2006) with weight ν, so the reservoir holds windows drawn ∝ ν from all
// windows offered so far. Windows with no observed value are not offered.
void OfferSeries(const ModelShape& m, uint64_t seed, Reservoir& r, const SeriesView* series, size_t count);

struct TrainArrays {
  float* parameters = nullptr;
  float* moment1 = nullptr;
  float* moment2 = nullptr;
  double* steps = nullptr;    // optimizer steps taken
};

// `count` optimizer steps, each on `batch` windows drawn uniformly from the reservoir (they are
// already ∝ ν). Returns Σ weight · NLL over the round and adds Σ weight to *weight.
double TrainRound(const ModelShape& m, uint64_t seed, const Reservoir& r, const TrainArrays& a, size_t batch, size_t count,
                  double* weight);

// The windows in `slots` as one batch: returns Σ weight · NLL, sets *weight to Σ weight and, with
// `gradient` (Parameters() long), writes the gradient of the mean loss over every parameter, the
// embedding tables included (zoneout as in training, drawn for `step`). For gradient tests.
double ModelLoss(const ModelShape& m, const Reservoir& r, const float* parameters, const uint32_t* slots, size_t count,
                 uint64_t step, float* gradient, double* weight);

// Sample paths of the P values after the series: out [paths × P]. The series' dynamic features
// must cover length + P. Draws come from stream (seed, stream).
void Forecast(const ModelShape& m, const float* parameters, const SeriesView& series, size_t paths, uint64_t seed, uint64_t stream,
              float* out);

}  // namespace deepar
}  // namespace boundless
