// Captures what is written to file descriptor 2 between begin and end, into
// an unnamed temporary file: the WebGPU backend wraps Dawn's adapter set-up
// in it, so Dawn's diagnostics ("Warning: maxDynamic... artificially
// reduced") do not land in the user's terminal unless BOUNDLESS_DEBUG asks.
// Calls nest: only the outermost pair redirects. Elsewhere than POSIX the
// calls do nothing and return "".
#include "runtime/stderr_capture.h"

#include <cstdio>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#define BOUNDLESS_CAN_CAPTURE 1
#endif

namespace boundless {
namespace {

#ifdef BOUNDLESS_CAN_CAPTURE
struct Capture {
  int depth = 0;
  int saved = -1;       // the descriptor 2 had before
  FILE* file = nullptr; // where 2 points meanwhile
};
Capture capture;  // begin/end run on the JS thread only

Napi::Value Begin(const Napi::CallbackInfo& info) {
  if (capture.depth++ > 0) return info.Env().Undefined();
  std::fflush(stderr);
  capture.file = std::tmpfile();
  capture.saved = capture.file ? dup(2) : -1;
  if (capture.saved < 0 || dup2(fileno(capture.file), 2) < 0) {
    // Cannot redirect (no temporary file, no descriptors): leave stderr alone.
    if (capture.saved >= 0) close(capture.saved);
    if (capture.file) std::fclose(capture.file);
    capture.saved = -1;
    capture.file = nullptr;
  }
  return info.Env().Undefined();
}

Napi::Value End(const Napi::CallbackInfo& info) {
  if (capture.depth == 0) throw Napi::Error::New(info.Env(), "stderrCaptureEnd: no capture was begun");
  if (--capture.depth > 0 || !capture.file) return Napi::String::New(info.Env(), "");
  std::fflush(stderr);
  dup2(capture.saved, 2);
  close(capture.saved);
  std::string text;
  std::rewind(capture.file);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), capture.file)) > 0;) text.append(buffer, n);
  std::fclose(capture.file);
  capture.file = nullptr;
  capture.saved = -1;
  return Napi::String::New(info.Env(), text);
}
#else
Napi::Value Begin(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
Napi::Value End(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ""); }
#endif

}  // namespace

void RegisterStderrCapture(Napi::Env env, Napi::Object exports) {
  exports.Set("stderrCaptureBegin", Napi::Function::New(env, Begin, "stderrCaptureBegin"));
  exports.Set("stderrCaptureEnd", Napi::Function::New(env, End, "stderrCaptureEnd"));
}

}  // namespace boundless
