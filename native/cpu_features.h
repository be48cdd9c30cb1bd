// Which instruction-set variant of the hot kernels this process runs.
// Chosen once at load from what the CPU supports, overridable with
// BOUNDLESS_CPU_ISA=baseline|avx2 (to test both paths on one machine).
#pragma once

#include <string>

namespace boundless {

enum class Isa { Baseline, Avx2 };

// The variant selected for this process (detected once, thread-safe).
Isa SelectedIsa();
const char* IsaName(Isa isa);
// True when the CPU can run the AVX2+FMA variant.
bool CpuSupportsAvx2Fma();
// Empty when the environment override is valid or absent; otherwise why it was rejected.
std::string IsaOverrideError();

}  // namespace boundless
