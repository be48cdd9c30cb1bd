#include "runtime/cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace boundless {

namespace {

struct IsaChoice {
  Isa isa = Isa::Baseline;
  std::string override_error;
};

IsaChoice Detect() {
  IsaChoice choice;
  choice.isa = CpuSupportsAvx512() ? Isa::Avx512 : CpuSupportsAvx2Fma() ? Isa::Avx2 : Isa::Baseline;
  const char* forced = std::getenv("BOUNDLESS_CPU_ISA");
  if (forced == nullptr || forced[0] == '\0' || std::strcmp(forced, "auto") == 0) return choice;
  if (std::strcmp(forced, "baseline") == 0) {
    choice.isa = Isa::Baseline;
  } else if (std::strcmp(forced, "avx2") == 0) {
    if (CpuSupportsAvx2Fma()) {
      choice.isa = Isa::Avx2;
    } else {
      choice.override_error = "BOUNDLESS_CPU_ISA=avx2 but this CPU lacks AVX2 or FMA";
    }
  } else if (std::strcmp(forced, "avx512") == 0) {
    if (CpuSupportsAvx512()) {
      choice.isa = Isa::Avx512;
    } else {
      choice.override_error = "BOUNDLESS_CPU_ISA=avx512 but this CPU lacks AVX-512F, AVX2 or FMA";
    }
  } else {
    choice.override_error = std::string("BOUNDLESS_CPU_ISA=") + forced +
                            " is not one of auto, baseline, avx2, avx512";
  }
  return choice;
}

const IsaChoice& Choice() {
  static std::once_flag once;
  static IsaChoice choice;
  std::call_once(once, [] { choice = Detect(); });
  return choice;
}

}  // namespace

bool CpuSupportsAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool CpuSupportsAvx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return CpuSupportsAvx2Fma() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

Isa SelectedIsa() { return Choice().isa; }

std::string IsaOverrideError() { return Choice().override_error; }

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Baseline:
      return "baseline";
  }
  return "baseline";
}

}  // namespace boundless
