#pragma once

#include <napi.h>

namespace boundless {

// copyArrays(sources, targets, rebase) → Promise<void>: each source typed array copied into the
// target of the same type and length, on a libuv thread (holding a token of the thread budget);
// where rebase[i] is true (Int32Array and Uint32Array only) the copy has the source's first
// element subtracted from every element, so it starts at 0 (a sparse batch's indptr and word
// offsets, cut out of a larger batch). The epoch cache's copies of a pass's batches
// (lib/train/epoch-cache.ts): work proportional to the data, so not on the event loop.
void RegisterCopy(Napi::Env env, Napi::Object exports);

}  // namespace boundless
