import { type Logger, redactSecrets } from './logger';

/**
 * Starts work nobody waits for, at an I/O boundary (an event handler, a timer), so that its
 * failure is logged instead of becoming an unhandled rejection. In server/ this replaces
 * `void promise` (a lint plugin, lint/no-void-promise-in-server.grit, enforces it).
 */
export function fireAndForget(work: Promise<unknown>, log: Logger, what: string): void {
  work.catch((err: unknown) => {
    log.error(what, {
      error: redactSecrets(err instanceof Error ? (err.stack ?? err.message) : String(err)),
    });
  });
}
