// The error a stop rejects with, whatever reason its signal carries: an AbortError, so that a
// consumer that writes a checkpoint on one (the trainer) does so for AbortSignal.timeout's
// TimeoutError and a service's abort(new Error('SIGTERM')) as well. The reason is its cause.

/** The AbortError a stop rejects with: the signal's reason when it is one, else one whose cause is the reason. */
export function stopError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('training was aborted', { name: 'AbortError', cause: reason });
}
