#include "nn/optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/thread_pool.h"

namespace boundless {
namespace nn {
namespace {

// Element-wise rules over [begin, end): one loop per rule, the rule chosen outside, so each loop
// vectorizes (sqrt and division included). Each entry is independent: any split gives the same bytes.
template <class Rule>
void Apply(const OptimizerSettings& s, float* w, const float* g, size_t begin, size_t end, Rule rule) {
  const bool clip = s.clip_gradient > 0 && std::isfinite(s.clip_gradient);
  const float c = clip ? s.clip_gradient : std::numeric_limits<float>::max();
  for (size_t i = begin; i < end; i++) {
    float grad = s.rescale_gradient * g[i];
    grad = grad < -c ? -c : grad > c ? c : grad;
    rule(i, grad + s.weight_decay * w[i]);
  }
}

void StepRange(const OptimizerSettings& s, float* w, const float* g, float* m1, float* m2, size_t begin, size_t end,
               float adam_scale) {
  const float lr = s.learning_rate, b1 = s.beta1, b2 = s.beta2, rho = s.rho, eps = s.epsilon;
  switch (s.kind) {
    case Optimizer::kSgd:
      Apply(s, w, g, begin, end, [&](size_t i, float grad) { w[i] -= lr * grad; });
      break;
    case Optimizer::kAdam:
      Apply(s, w, g, begin, end, [&](size_t i, float grad) {
        m1[i] = b1 * m1[i] + (1 - b1) * grad;
        m2[i] = b2 * m2[i] + (1 - b2) * grad * grad;
        w[i] -= adam_scale * m1[i] / (std::sqrt(m2[i]) + eps);
      });
      break;
    case Optimizer::kAdagrad:
      Apply(s, w, g, begin, end, [&](size_t i, float grad) {
        m1[i] += grad * grad;
        w[i] -= lr * grad / (std::sqrt(m1[i]) + eps);
      });
      break;
    case Optimizer::kRmsprop:
      Apply(s, w, g, begin, end, [&](size_t i, float grad) {
        m1[i] = rho * m1[i] + (1 - rho) * grad * grad;
        w[i] -= lr * grad / (std::sqrt(m1[i]) + eps);
      });
      break;
    case Optimizer::kAdadelta:
      Apply(s, w, g, begin, end, [&](size_t i, float grad) {
        m1[i] = rho * m1[i] + (1 - rho) * grad * grad;
        const float delta = std::sqrt(m2[i] + eps) / std::sqrt(m1[i] + eps) * grad;
        m2[i] = rho * m2[i] + (1 - rho) * delta * delta;
        w[i] -= lr * delta;
      });
      break;
  }
}

}  // namespace

size_t MomentArrays(Optimizer kind) {
  switch (kind) {
    case Optimizer::kSgd: return 0;
    case Optimizer::kAdagrad:
    case Optimizer::kRmsprop: return 1;
    default: return 2;
  }
}

void OptimizerStep(const OptimizerSettings& s, float* w, const float* g, float* m1, float* m2, size_t n, double step) {
  float adam_scale = static_cast<float>(s.learning_rate * std::sqrt(1 - std::pow(s.beta2, step)) / (1 - std::pow(s.beta1, step)));
  ThreadPool::Shared().ParallelFor(n, 16 * 1024, [&](size_t begin, size_t end) {
    StepRange(s, w, g, m1, m2, begin, end, adam_scale);
  });
}

}  // namespace nn
}  // namespace boundless
