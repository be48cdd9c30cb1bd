// Which instruction-set variant of the hot kernels this process runs.
// Chosen once at load from what the CPU supports, overridable with
// BOUNDLESS_CPU_ISA=baseline|avx2|avx512 (to test each path on one machine).
// The variants are ordered: a kernel without an AVX-512 version runs its
// AVX2 one when Avx512 is selected (compare with >=).
#pragma once

#include <string>

namespace boundless {

enum class Isa { Baseline, Avx2, Avx512 };

// The variant selected for this process (detected once, thread-safe).
Isa SelectedIsa();
const char* IsaName(Isa isa);
// True when the CPU can run the AVX2+FMA variant.
bool CpuSupportsAvx2Fma();
// True when the CPU can also run the AVX-512 (F) variant.
bool CpuSupportsAvx512();
// Empty when the environment override is valid or absent; otherwise why it was rejected.
std::string IsaOverrideError();

}  // namespace boundless
