// JS bindings of the neural topic model: a training or evaluation step on a
// batch, topic weights of documents, and the parameter layout (offsets into the
// flat parameter array), which lib/algorithms/ntm/ reads instead of repeating it.
#include "algorithms/ntm/ntm_binding.h"

#include <stdexcept>
#include <string>

#include "algorithms/ntm/ntm.h"
#include "algorithms/ntm/topic_coherence.h"
#include "nn/nn_binding.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

// settings: { vocabulary, topics, hidden: number[], activation, batchNorm, priorVariance, seed, optimizer: {…} }
ntm::Settings ReadSettings(const Napi::Object& o, const char* f) {
  ntm::Settings s;
  s.vocabulary = SizeField(o, f, "vocabulary");
  s.topics = SizeField(o, f, "topics");
  Napi::Value hidden = o.Get("hidden");
  if (!hidden.IsArray() || hidden.As<Napi::Array>().Length() == 0) throw Napi::TypeError::New(o.Env(), std::string(f) + ": settings.hidden must be a non-empty array of widths");
  Napi::Array widths = hidden.As<Napi::Array>();
  for (uint32_t i = 0; i < widths.Length(); i++) {
    Napi::Value w = widths.Get(i);
    double width = w.IsNumber() ? w.As<Napi::Number>().DoubleValue() : -1;
    if (!(width >= 1) || width != static_cast<double>(static_cast<int64_t>(width))) throw Napi::RangeError::New(o.Env(), std::string(f) + ": settings.hidden entries must be positive integers");
    s.hidden.push_back(static_cast<size_t>(width));
  }
  size_t activation = SizeField(o, f, "activation");
  if (activation > static_cast<size_t>(nn::Activation::kIdentity)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": unknown activation code");
  s.activation = static_cast<nn::Activation>(activation);
  s.batch_norm = BoolField(o, "batchNorm");
  s.posterior_batch_norm = BoolField(o, "posteriorBatchNorm");
  s.decoder_batch_norm = BoolField(o, "decoderBatchNorm");
  s.prior_variance = static_cast<float>(NumberField(o, f, "priorVariance"));
  s.sub_sample = static_cast<float>(NumberField(o, f, "subSample"));
  if (!(s.sub_sample > 0 && s.sub_sample <= 1)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": settings.subSample must be in (0, 1]");
  s.seed = static_cast<uint64_t>(NumberField(o, f, "seed"));
  if (s.vocabulary == 0 || s.topics == 0) throw Napi::RangeError::New(o.Env(), std::string(f) + ": settings.vocabulary and settings.topics must be positive");
  Napi::Value optimizer = o.Get("optimizer");
  if (!optimizer.IsObject()) throw Napi::TypeError::New(o.Env(), std::string(f) + ": settings.optimizer must be an object");
  s.optimizer = ReadOptimizerSettings(optimizer.As<Napi::Object>(), f);
  return s;
}

// state: { parameters, moment1?, moment2?, running?, counters } — moments required when training.
ntm::State ReadState(ArrayReader& reader, const Napi::Object& o, const ntm::Settings& s, const ntm::Layout& l, bool training) {
  ntm::State st;
  size_t moments = training ? nn::MomentArrays(s.optimizer.kind) : 0;
  st.parameters = reader.Get<float>(o, "state", "parameters", napi_float32_array, l.parameters, true);
  st.moment1 = reader.Get<float>(o, "state", "moment1", napi_float32_array, l.parameters, moments >= 1);
  st.moment2 = reader.Get<float>(o, "state", "moment2", napi_float32_array, l.parameters, moments >= 2);
  st.running = reader.Get<float>(o, "state", "running", napi_float32_array, l.running, l.running > 0);
  st.counters = reader.Get<double>(o, "state", "counters", napi_float64_array, ntm::kCounterCount, training);
  if (training && o.Has("reservoir") && !o.Get("reservoir").IsUndefined() && !o.Get("reservoir").IsNull()) {
    st.reservoir_width = SizeField(o, "ntmStep", "reservoirWidth");
    st.reservoir = reader.Get<int32_t>(o, "state", "reservoir", napi_int32_array, st.reservoir_width, true);
    st.reservoir_documents = st.reservoir_width ? o.Get("reservoir").As<Napi::TypedArray>().ElementLength() / st.reservoir_width : 0;
    if (st.reservoir_documents == 0) st.reservoir = nullptr;
  }
  return st;
}

// Bag-of-words rows: the feature checks, and counts that are not negative.
void CheckDocuments(const BatchView& batch, size_t vocabulary) {
  ValidateFeatureRows(batch, vocabulary);
  const size_t stored = batch.sparse ? static_cast<size_t>(batch.indptr[batch.rows]) : batch.rows * batch.cols;
  for (size_t e = 0; e < stored; e++) {
    // Counts are occurrences in one document: beyond 1e9 the loss's float32 sums lose every other word.
    if (batch.values[e] < 0 || batch.values[e] > 1e9f) {
      size_t row = 0;
      if (batch.sparse) {
        while (static_cast<size_t>(batch.indptr[row + 1]) <= e) row++;
      } else {
        row = e / batch.cols;
      }
      throw std::invalid_argument("row " + std::to_string(row) + " has a word count of " + std::to_string(batch.values[e]) +
                                  "; a document is a bag of word counts from 0 to 1e9");
    }
  }
}

double Work(const ntm::Settings& s, const BatchView& batch, double passes) {
  return static_cast<double>(batch.rows) * static_cast<double>(s.topics) * static_cast<double>(s.vocabulary) * passes;
}

// ntmStep(settings, state, batch, metrics: Float64Array(5) | null, training) → Promise
Napi::Value StepAsync(const Napi::CallbackInfo& info) {
  const char* f = "ntmStep";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  const bool training = info[4].ToBoolean().Value();
  ntm::Settings settings = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  ntm::Layout layout = ntm::MakeLayout(settings);
  ntm::State state = ReadState(reader, ObjectArg(info, 1, f, "state"), settings, layout, training);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  double* metrics = info[3].IsNull() || info[3].IsUndefined() ? nullptr : reader.Arg<double>(info, 3, "metrics", napi_float64_array, ntm::kMetricCount, true);
  if (!training && !metrics) throw Napi::TypeError::New(info.Env(), "ntmStep: evaluation needs metrics");
  return QueueKernel(info.Env(), "boundless:ntmStep", reader, [=]() {
    CheckDocuments(batch, settings.vocabulary);
    if (training) {
      ntm::Train(settings, state, batch, metrics);
    } else {
      ntm::Evaluate(settings, state, batch, metrics);
    }
  }, Work(settings, batch, training ? 3 : 1));
}

// ntmTopicWeights(settings, state, batch, out: Float32Array(rows × topics)) → Promise
Napi::Value TopicWeightsAsync(const Napi::CallbackInfo& info) {
  const char* f = "ntmTopicWeights";
  RequireArgCount(info, f, 4);
  ArrayReader reader(info.Env(), f);
  ntm::Settings settings = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  ntm::Layout layout = ntm::MakeLayout(settings);
  ntm::State state = ReadState(reader, ObjectArg(info, 1, f, "state"), settings, layout, false);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  float* out = reader.Arg<float>(info, 3, "out", napi_float32_array, CheckedProduct(info.Env(), f, batch.rows, settings.topics), true);
  double work = static_cast<double>(batch.rows) * static_cast<double>(settings.hidden[0]) * 8;
  return QueueKernel(info.Env(), "boundless:ntmTopicWeights", reader, [=]() {
    CheckDocuments(batch, settings.vocabulary);
    ntm::TopicWeights(settings, state, batch, out);
  }, work);
}

Napi::Array Offsets(Napi::Env env, const std::vector<size_t>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); i++) out.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return out;
}

// ntmLayout(settings) → { parameters, running, weight[], bias[], gamma[], beta[], muWeight, … } (entries)
Napi::Value LayoutSync(const Napi::CallbackInfo& info) {
  const char* f = "ntmLayout";
  RequireArgCount(info, f, 1);
  ntm::Layout l = ntm::MakeLayout(ReadSettings(ObjectArg(info, 0, f, "settings"), f));
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("weight", Offsets(env, l.weight));
  o.Set("bias", Offsets(env, l.bias));
  o.Set("gamma", Offsets(env, l.gamma));
  o.Set("beta", Offsets(env, l.beta));
  o.Set("runningMean", Offsets(env, l.running_mean));
  o.Set("runningVar", Offsets(env, l.running_var));
  const std::pair<const char*, size_t> scalars[] = {
      {"muWeight", l.mu_weight}, {"muBias", l.mu_bias}, {"logVarWeight", l.log_var_weight}, {"logVarBias", l.log_var_bias},
      {"topicWord", l.topic_word}, {"background", l.background}, {"parameters", l.parameters}, {"running", l.running},
      {"posteriorRunning", l.posterior_running}, {"posteriorGamma", l.posterior_gamma}, {"posteriorBeta", l.posterior_beta}, {"decoderRunning", l.decoder_running}};
  for (const auto& [name, value] : scalars) o.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  return o;
}

// ntmCooccurrence(vocabulary, words: Int32Array(topics × top), top, batch, documentFrequency: Float64Array(topics × top),
//   pairFrequency: Float64Array(topics × top × top), documents: Float64Array(1)) → Promise
Napi::Value CooccurrenceAsync(const Napi::CallbackInfo& info) {
  const char* f = "ntmCooccurrence";
  RequireArgCount(info, f, 7);
  ArrayReader reader(info.Env(), f);
  const size_t vocabulary = SizeArg(info, 0, f, "vocabulary"), top = SizeArg(info, 2, f, "top");
  const size_t listed = info[1].IsTypedArray() ? info[1].As<Napi::TypedArray>().ElementLength() : 0;
  if (top == 0 || listed % top != 0) throw Napi::RangeError::New(info.Env(), "ntmCooccurrence: words must hold topics × top ids");
  const int32_t* words = reader.Arg<int32_t>(info, 1, "words", napi_int32_array, listed, true);
  for (size_t i = 0; i < listed; i++) {
    if (words[i] < 0 || static_cast<size_t>(words[i]) >= vocabulary) throw Napi::RangeError::New(info.Env(), "ntmCooccurrence: word id " + std::to_string(words[i]) + " is outside the vocabulary");
  }
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 3, f, "batch"), f);
  double* document_frequency = reader.Arg<double>(info, 4, "documentFrequency", napi_float64_array, listed, true);
  double* pair_frequency = reader.Arg<double>(info, 5, "pairFrequency", napi_float64_array, CheckedProduct(info.Env(), f, listed, top), true);
  double* documents = reader.Arg<double>(info, 6, "documents", napi_float64_array, 1, true);
  const size_t topics = listed / top;
  return QueueKernel(info.Env(), "boundless:ntmCooccurrence", reader, [=]() {
    ValidateFeatureRows(batch, vocabulary);
    ntm::CountCooccurrence(batch, vocabulary, words, topics, top, document_frequency, pair_frequency, documents);
  }, StoredValues(batch) * 2 + static_cast<double>(batch.rows * listed * top) / 2);
}

}  // namespace

void RegisterNtm(Napi::Env env, Napi::Object exports) {
  exports.Set("ntmStep", Napi::Function::New(env, StepAsync, "ntmStep"));
  exports.Set("ntmTopicWeights", Napi::Function::New(env, TopicWeightsAsync, "ntmTopicWeights"));
  exports.Set("ntmCooccurrence", Napi::Function::New(env, CooccurrenceAsync, "ntmCooccurrence"));
  exports.Set("ntmLayout", Napi::Function::New(env, LayoutSync, "ntmLayout"));
}

}  // namespace boundless
