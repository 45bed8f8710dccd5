// Preloaded into a real server process by tests/integration/process-guards.test.ts: on
// SIGUSR2 it makes a promise reject with nobody awaiting it, as a bug at an I/O boundary would.
process.on('SIGUSR2', () => {
  // biome-ignore lint/nursery/noFloatingPromises: the unhandled rejection is the point of this file
  Promise.reject(new Error('test: a promise nobody awaited'));
});
