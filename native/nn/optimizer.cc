#include "nn/optimizer.h"

#include <algorithm>
#include <cmath>

#include "runtime/thread_pool.h"

namespace boundless {
namespace nn {
namespace {

// Element-wise rules over [begin, end). Each entry is independent, so any split gives the same bytes.
void StepRange(const OptimizerSettings& s, float* w, const float* g, float* m1, float* m2, size_t begin, size_t end,
               float adam_scale) {
  const bool clip = s.clip_gradient > 0 && std::isfinite(s.clip_gradient);
  for (size_t i = begin; i < end; i++) {
    float grad = s.rescale_gradient * g[i];
    if (clip) grad = std::min(std::max(grad, -s.clip_gradient), s.clip_gradient);
    grad += s.weight_decay * w[i];
    switch (s.kind) {
      case Optimizer::kSgd:
        w[i] -= s.learning_rate * grad;
        break;
      case Optimizer::kAdam:
        m1[i] = s.beta1 * m1[i] + (1 - s.beta1) * grad;
        m2[i] = s.beta2 * m2[i] + (1 - s.beta2) * grad * grad;
        w[i] -= adam_scale * m1[i] / (std::sqrt(m2[i]) + s.epsilon);
        break;
      case Optimizer::kAdagrad:
        m1[i] += grad * grad;
        w[i] -= s.learning_rate * grad / (std::sqrt(m1[i]) + s.epsilon);
        break;
      case Optimizer::kRmsprop:
        m1[i] = s.rho * m1[i] + (1 - s.rho) * grad * grad;
        w[i] -= s.learning_rate * grad / (std::sqrt(m1[i]) + s.epsilon);
        break;
      case Optimizer::kAdadelta: {
        m1[i] = s.rho * m1[i] + (1 - s.rho) * grad * grad;
        float delta = std::sqrt(m2[i] + s.epsilon) / std::sqrt(m1[i] + s.epsilon) * grad;
        m2[i] = s.rho * m2[i] + (1 - s.rho) * delta * delta;
        w[i] -= s.learning_rate * delta;
        break;
      }
    }
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
