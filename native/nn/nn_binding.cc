#include "nn/nn_binding.h"

#include <string>

#include "nn/activation.h"
#include "nn/batch_norm.h"
#include "nn/dense_layer.h"
#include "nn/likelihood.h"
#include "nn/lstm.h"
#include "nn/optimizer.h"
#include "nn/reparameterization.h"
#include "nn/softmax.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

// A Float32Array argument of at least `length` entries (or null when optional and null was given).
float* F32(const Napi::CallbackInfo& info, size_t index, const char* f, const char* name, size_t length, bool optional = false) {
  if (optional && (info[index].IsNull() || info[index].IsUndefined())) return nullptr;
  Napi::Float32Array a = Float32Arg(info, index, f, name);
  if (a.ElementLength() < length) {
    throw Napi::RangeError::New(info.Env(), std::string(f) + ": " + name + " has length " + std::to_string(a.ElementLength()) +
                                                ", expected at least " + std::to_string(length));
  }
  return a.Data();
}

nn::DenseShape Shape(const Napi::CallbackInfo& info, const char* f) {
  nn::DenseShape s;
  size_t layout = SizeArg(info, 0, f, "layout");
  if (layout > 1) throw Napi::RangeError::New(info.Env(), std::string(f) + ": layout must be 0 (out × in) or 1 (in × out)");
  s.layout = layout == 0 ? nn::WeightLayout::kOutByIn : nn::WeightLayout::kInByOut;
  s.rows = SizeArg(info, 1, f, "rows");
  s.in = SizeArg(info, 2, f, "in");
  s.out = SizeArg(info, 3, f, "out");
  return s;
}

// nnDenseForward(layout, rows, in, out, x, w, b | null, y)
Napi::Value DenseForward(const Napi::CallbackInfo& info) {
  const char* f = "nnDenseForward";
  RequireArgCount(info, f, 8);
  nn::DenseShape s = Shape(info, f);
  nn::DenseForward(s, F32(info, 4, f, "x", s.rows * s.in), F32(info, 5, f, "w", s.in * s.out), F32(info, 6, f, "b", s.out, true),
                   F32(info, 7, f, "y", s.rows * s.out));
  return info.Env().Undefined();
}

// nnDenseBackward(layout, rows, in, out, x, w, dy, dx | null, dw, db | null)
Napi::Value DenseBackward(const Napi::CallbackInfo& info) {
  const char* f = "nnDenseBackward";
  RequireArgCount(info, f, 10);
  nn::DenseShape s = Shape(info, f);
  nn::DenseBackward(s, F32(info, 4, f, "x", s.rows * s.in), F32(info, 5, f, "w", s.in * s.out), F32(info, 6, f, "dy", s.rows * s.out),
                    F32(info, 7, f, "dx", s.rows * s.in, true), F32(info, 8, f, "dw", s.in * s.out), F32(info, 9, f, "db", s.out, true));
  return info.Env().Undefined();
}

// nnSparseForward(batch, out, w, b | null, y)
Napi::Value SparseForward(const Napi::CallbackInfo& info) {
  const char* f = "nnSparseForward";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  BatchView x = ReadBatchView(reader, ObjectArg(info, 0, f, "batch"), f);
  ValidateFeatureRows(x, x.cols);
  size_t out = SizeArg(info, 1, f, "out");
  nn::SparseForward(x, out, F32(info, 2, f, "w", x.cols * out), F32(info, 3, f, "b", out, true), F32(info, 4, f, "y", x.rows * out));
  return info.Env().Undefined();
}

// nnSparseBackward(batch, out, dy, dw, db | null)
Napi::Value SparseBackward(const Napi::CallbackInfo& info) {
  const char* f = "nnSparseBackward";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  BatchView x = ReadBatchView(reader, ObjectArg(info, 0, f, "batch"), f);
  ValidateFeatureRows(x, x.cols);
  size_t out = SizeArg(info, 1, f, "out");
  nn::SparseBackward(x, out, F32(info, 2, f, "dy", x.rows * out), F32(info, 3, f, "dw", x.cols * out), F32(info, 4, f, "db", out, true));
  return info.Env().Undefined();
}

nn::Activation ActivationArg(const Napi::CallbackInfo& info, const char* f) {
  size_t kind = SizeArg(info, 0, f, "activation");
  if (kind > static_cast<size_t>(nn::Activation::kIdentity)) throw Napi::RangeError::New(info.Env(), std::string(f) + ": unknown activation code");
  return static_cast<nn::Activation>(kind);
}

// nnActivate(kind, x) in place; nnActivationBackward(kind, y, dy) in place on dy.
Napi::Value Activate(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "nnActivate", 2);
  Napi::Float32Array x = Float32Arg(info, 1, "nnActivate", "x");
  nn::ActivateInPlace(ActivationArg(info, "nnActivate"), x.Data(), x.ElementLength());
  return info.Env().Undefined();
}

Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  const char* f = "nnActivationBackward";
  RequireArgCount(info, f, 3);
  Napi::Float32Array dy = Float32Arg(info, 2, f, "dy");
  nn::ActivationBackward(ActivationArg(info, f), F32(info, 1, f, "y", dy.ElementLength()), dy.Data(), dy.ElementLength());
  return info.Env().Undefined();
}

// nnSoftmax(mode: 0 softmax | 1 log-softmax, x, rows, cols); nnSoftmaxBackward(y, dy, rows, cols).
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const char* f = "nnSoftmax";
  RequireArgCount(info, f, 4);
  size_t mode = SizeArg(info, 0, f, "mode"), rows = SizeArg(info, 2, f, "rows"), cols = SizeArg(info, 3, f, "cols");
  float* x = F32(info, 1, f, "x", rows * cols);
  if (mode == 0) nn::SoftmaxRows(x, rows, cols); else nn::LogSoftmaxRows(x, rows, cols, nullptr);
  return info.Env().Undefined();
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const char* f = "nnSoftmaxBackward";
  RequireArgCount(info, f, 4);
  size_t rows = SizeArg(info, 2, f, "rows"), cols = SizeArg(info, 3, f, "cols");
  nn::SoftmaxBackward(F32(info, 0, f, "y", rows * cols), F32(info, 1, f, "dy", rows * cols), rows, cols);
  return info.Env().Undefined();
}

// nnReparameterize(mu, logVar, eps, z, seed, stream, counter, draw)
Napi::Value Reparameterize(const Napi::CallbackInfo& info) {
  const char* f = "nnReparameterize";
  RequireArgCount(info, f, 8);
  size_t n = Float32Arg(info, 0, f, "mu").ElementLength();
  nn::Reparameterize(F32(info, 0, f, "mu", n), F32(info, 1, f, "logVar", n), F32(info, 2, f, "eps", n), F32(info, 3, f, "z", n), n,
                     SizeArg(info, 4, f, "seed"), SizeArg(info, 5, f, "stream"), SizeArg(info, 6, f, "counter"), info[7].ToBoolean().Value());
  return info.Env().Undefined();
}

// nnReparameterizeBackward(logVar, eps, dz, dmu, dlogVar) — adds to dmu and dlogVar.
Napi::Value ReparameterizeBackward(const Napi::CallbackInfo& info) {
  const char* f = "nnReparameterizeBackward";
  RequireArgCount(info, f, 5);
  size_t n = Float32Arg(info, 0, f, "logVar").ElementLength();
  nn::ReparameterizeBackward(F32(info, 0, f, "logVar", n), F32(info, 1, f, "eps", n), F32(info, 2, f, "dz", n), F32(info, 3, f, "dmu", n),
                             F32(info, 4, f, "dlogVar", n), n);
  return info.Env().Undefined();
}

// nnDropout(x, mask, p, seed, stream, counter)
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  const char* f = "nnDropout";
  RequireArgCount(info, f, 6);
  size_t n = Float32Arg(info, 0, f, "x").ElementLength();
  double p = info[2].ToNumber().DoubleValue();
  if (!(p >= 0 && p < 1)) throw Napi::RangeError::New(info.Env(), "nnDropout: p must be in [0, 1)");
  nn::Dropout(F32(info, 0, f, "x", n), F32(info, 1, f, "mask", n), n, static_cast<float>(p), SizeArg(info, 3, f, "seed"),
              SizeArg(info, 4, f, "stream"), SizeArg(info, 5, f, "counter"));
  return info.Env().Undefined();
}

// nnBatchNormForward(x, rows, cols, gamma|null, beta|null, runningMean|null, runningVar|null, training, normalized, invStd)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  const char* f = "nnBatchNormForward";
  RequireArgCount(info, f, 10);
  nn::BatchNormShape s;
  s.rows = SizeArg(info, 1, f, "rows");
  s.cols = SizeArg(info, 2, f, "cols");
  bool training = info[7].ToBoolean().Value();
  nn::BatchNormForward(s, F32(info, 0, f, "x", s.rows * s.cols), F32(info, 3, f, "gamma", s.cols, true), F32(info, 4, f, "beta", s.cols, true),
                       F32(info, 5, f, "runningMean", s.cols, training), F32(info, 6, f, "runningVar", s.cols, training), training,
                       F32(info, 8, f, "normalized", s.rows * s.cols, !training), F32(info, 9, f, "invStd", s.cols, !training));
  return info.Env().Undefined();
}

// nnBatchNormBackward(normalized, invStd, gamma|null, dy, rows, cols, dgamma|null, dbeta|null)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  const char* f = "nnBatchNormBackward";
  RequireArgCount(info, f, 8);
  nn::BatchNormShape s;
  s.rows = SizeArg(info, 4, f, "rows");
  s.cols = SizeArg(info, 5, f, "cols");
  nn::BatchNormBackward(s, F32(info, 0, f, "normalized", s.rows * s.cols), F32(info, 1, f, "invStd", s.cols), F32(info, 2, f, "gamma", s.cols, true),
                        F32(info, 3, f, "dy", s.rows * s.cols), F32(info, 6, f, "dgamma", s.cols, true), F32(info, 7, f, "dbeta", s.cols, true));
  return info.Env().Undefined();
}

// nnOptimizerStep({ kind, learningRate, beta1, beta2, rho, epsilon, weightDecay, clipGradient, rescaleGradient }, w, g, m1|null, m2|null, step)
Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
  const char* f = "nnOptimizerStep";
  RequireArgCount(info, f, 6);
  nn::OptimizerSettings s = ReadOptimizerSettings(ObjectArg(info, 0, f, "settings"), f);
  size_t n = Float32Arg(info, 1, f, "w").ElementLength(), moments = nn::MomentArrays(s.kind);
  nn::OptimizerStep(s, F32(info, 1, f, "w", n), F32(info, 2, f, "g", n), F32(info, 3, f, "m1", n, moments < 1), F32(info, 4, f, "m2", n, moments < 2), n,
                    info[5].ToNumber().DoubleValue());
  return info.Env().Undefined();
}

// An optional Float32Array field of at least `length` entries (null when absent or null).
float* F32Field(const Napi::Object& o, const char* f, const char* name, size_t length, bool required) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) throw Napi::TypeError::New(o.Env(), std::string(f) + ": " + name + " is missing");
    return nullptr;
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(o.Env(), std::string(f) + ": " + name + " must be a Float32Array");
  }
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  if (a.ElementLength() < length) {
    throw Napi::RangeError::New(o.Env(), std::string(f) + ": " + name + " has length " + std::to_string(a.ElementLength()) +
                                             ", expected at least " + std::to_string(length));
  }
  return a.Data();
}

struct LstmCall {
  nn::LstmShape shape;
  nn::LstmWeights weights;
  const float *x, *h0, *c0;
  nn::LstmZoneout zoneout;
  nn::LstmTape tape;
};

// shape { steps, rows, inputs, hidden }; arrays { x, wx, wh, b, h0?, c0?, zoneoutH?, zoneoutC?, h, c, gates }
LstmCall ReadLstm(const Napi::CallbackInfo& info, const char* f) {
  Napi::Object so = ObjectArg(info, 0, f, "shape"), a = ObjectArg(info, 1, f, "arrays");
  LstmCall call;
  nn::LstmShape& s = call.shape;
  s.steps = SizeField(so, f, "steps");
  s.rows = SizeField(so, f, "rows");
  s.inputs = SizeField(so, f, "inputs");
  s.hidden = SizeField(so, f, "hidden");
  const size_t T = s.steps, B = s.rows, I = s.inputs, H = s.hidden;
  call.weights = {F32Field(a, f, "wx", I * 4 * H, true), F32Field(a, f, "wh", H * 4 * H, true), F32Field(a, f, "b", 4 * H, true)};
  call.x = F32Field(a, f, "x", T * B * I, true);
  call.h0 = F32Field(a, f, "h0", B * H, false);
  call.c0 = F32Field(a, f, "c0", B * H, false);
  call.zoneout = {F32Field(a, f, "zoneoutH", T * B * H, false), F32Field(a, f, "zoneoutC", T * B * H, false)};
  call.tape = {F32Field(a, f, "h", T * B * H, true), F32Field(a, f, "c", T * B * H, true), F32Field(a, f, "gates", T * B * 4 * H, true),
               F32Field(a, f, "y", T * B * H, false)};
  if ((call.zoneout.h || call.zoneout.c) && !call.tape.y) throw Napi::TypeError::New(info.Env(), std::string(f) + ": arrays.y (the outputs) is needed with zoneout");
  return call;
}

// nnLstmForward(shape, arrays): fills arrays.h, arrays.c, arrays.gates.
Napi::Value LstmForwardSync(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "nnLstmForward", 2);
  LstmCall c = ReadLstm(info, "nnLstmForward");
  nn::LstmForward(c.shape, c.weights, c.x, c.h0, c.c0, c.zoneout, c.tape);
  return info.Env().Undefined();
}

// nnLstmBackward(shape, arrays, gradients { dh, dWx, dWh, db, dx?, dh0?, dc0? }) after nnLstmForward.
Napi::Value LstmBackwardSync(const Napi::CallbackInfo& info) {
  const char* f = "nnLstmBackward";
  RequireArgCount(info, f, 3);
  LstmCall c = ReadLstm(info, f);
  Napi::Object go = ObjectArg(info, 2, f, "gradients");
  const size_t T = c.shape.steps, B = c.shape.rows, I = c.shape.inputs, H = c.shape.hidden;
  nn::LstmGradients g{F32Field(go, f, "dWx", I * 4 * H, true), F32Field(go, f, "dWh", H * 4 * H, true), F32Field(go, f, "db", 4 * H, true),
                      F32Field(go, f, "dx", T * B * I, false), F32Field(go, f, "dh0", B * H, false), F32Field(go, f, "dc0", B * H, false)};
  nn::LstmBackward(c.shape, c.weights, c.x, c.h0, c.c0, c.zoneout, c.tape, F32Field(go, f, "dh", T * B * H, true), g);
  return info.Env().Undefined();
}

nn::Likelihood LikelihoodArg(const Napi::CallbackInfo& info, const char* f) {
  size_t kind = SizeArg(info, 0, f, "likelihood");
  if (kind > static_cast<size_t>(nn::Likelihood::kDeterministicL1)) throw Napi::RangeError::New(info.Env(), std::string(f) + ": unknown likelihood code");
  return static_cast<nn::Likelihood>(kind);
}

// nnNegativeLogLikelihood(kind, raw [n × P], y [n], w [n] | null, grad [n × P] | null, scale [n]?) → Σ w·nll
Napi::Value NegativeLogLikelihoodSync(const Napi::CallbackInfo& info) {
  const char* f = "nnNegativeLogLikelihood";
  if (info.Length() != 6) RequireArgCount(info, f, 5);
  nn::Likelihood kind = LikelihoodArg(info, f);
  size_t n = Float32Arg(info, 2, f, "y").ElementLength(), P = nn::LikelihoodParameters(kind);
  const float* scale = info.Length() > 5 ? F32(info, 5, f, "scale", n, true) : nullptr;
  double total = nn::NegativeLogLikelihood(kind, F32(info, 1, f, "raw", n * P), F32(info, 2, f, "y", n), F32(info, 3, f, "w", n, true), n,
                                           F32(info, 4, f, "grad", n * P, true), scale);
  return Napi::Number::New(info.Env(), total);
}

// nnSampleLikelihood(kind, raw [n × P], out [n], seed, stream, first, scale [n]?)
Napi::Value SampleLikelihoodSync(const Napi::CallbackInfo& info) {
  const char* f = "nnSampleLikelihood";
  if (info.Length() != 7) RequireArgCount(info, f, 6);
  nn::Likelihood kind = LikelihoodArg(info, f);
  size_t n = Float32Arg(info, 2, f, "out").ElementLength(), P = nn::LikelihoodParameters(kind);
  nn::SampleLikelihood(kind, F32(info, 1, f, "raw", n * P), n, F32(info, 2, f, "out", n), SizeArg(info, 3, f, "seed"), SizeArg(info, 4, f, "stream"),
                       SizeArg(info, 5, f, "first"), info.Length() > 6 ? F32(info, 6, f, "scale", n, true) : nullptr);
  return info.Env().Undefined();
}

}  // namespace

nn::OptimizerSettings ReadOptimizerSettings(const Napi::Object& o, const char* f) {
  nn::OptimizerSettings s;
  size_t kind = SizeField(o, f, "kind");
  if (kind > static_cast<size_t>(nn::Optimizer::kAdadelta)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": unknown optimizer code");
  s.kind = static_cast<nn::Optimizer>(kind);
  s.learning_rate = static_cast<float>(NumberField(o, f, "learningRate"));
  s.beta1 = static_cast<float>(NumberField(o, f, "beta1"));
  s.beta2 = static_cast<float>(NumberField(o, f, "beta2"));
  s.rho = static_cast<float>(NumberField(o, f, "rho"));
  s.epsilon = static_cast<float>(NumberField(o, f, "epsilon"));
  s.weight_decay = static_cast<float>(NumberField(o, f, "weightDecay"));
  s.clip_gradient = static_cast<float>(NumberField(o, f, "clipGradient"));
  s.rescale_gradient = static_cast<float>(NumberField(o, f, "rescaleGradient"));
  return s;
}

void RegisterNeuralNetwork(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> functions[] = {
      {"nnDenseForward", DenseForward}, {"nnDenseBackward", DenseBackward}, {"nnSparseForward", SparseForward},
      {"nnSparseBackward", SparseBackward}, {"nnActivate", Activate}, {"nnActivationBackward", ActivationBackward},
      {"nnSoftmax", Softmax}, {"nnSoftmaxBackward", SoftmaxBackward}, {"nnReparameterize", Reparameterize},
      {"nnReparameterizeBackward", ReparameterizeBackward}, {"nnDropout", Dropout}, {"nnBatchNormForward", BatchNormForward},
      {"nnBatchNormBackward", BatchNormBackward}, {"nnOptimizerStep", OptimizerStep},
      {"nnLstmForward", LstmForwardSync}, {"nnLstmBackward", LstmBackwardSync},
      {"nnNegativeLogLikelihood", NegativeLogLikelihoodSync}, {"nnSampleLikelihood", SampleLikelihoodSync}};
  for (const auto& [name, function] : functions) exports.Set(name, Napi::Function::New(env, function, name));
}

}  // namespace boundless
