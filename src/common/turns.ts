/**
 * Resolves once the event loop has polled for I/O again: long work split into slices awaits it between slices,
 * so sockets and worker messages are served meanwhile. One `setImmediate` is not enough: awaited in work resumed
 * from an I/O callback (the poll phase), it resumes in the same loop iteration's check phase, before any new I/O
 * is read, and two slices run back to back.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
