#pragma once

#include <napi.h>

namespace boundless {

// stderrCaptureBegin() / stderrCaptureEnd() → text: what native libraries loaded into the
// process (Dawn, Mesa) wrote to file descriptor 2 in between. They print straight to the
// descriptor, past process.stderr, so only a redirection of the descriptor itself catches them.
void RegisterStderrCapture(Napi::Env env, Napi::Object exports);

}  // namespace boundless
