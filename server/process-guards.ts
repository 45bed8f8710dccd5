import { type Logger, redactSecrets } from './logger';

/**
 * Process-wide safety net. A promise that rejects with nobody awaiting it is a bug, but by
 * default Node exits on one, taking every board on the server down with it. Log it (with its
 * stack, secrets redacted) and keep serving: each I/O boundary already catches its own
 * errors, so what reaches here has no half-done work to undo.
 *
 * Uncaught exceptions are left to crash: a throw that unwound through synchronous state
 * may have left it inconsistent, and a restart (the store is durable) is the safe answer.
 */
export function installProcessGuards(log: Logger, proc: NodeJS.EventEmitter = process): void {
  proc.on('unhandledRejection', (reason: unknown) => {
    const error = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    log.error('unhandled rejection (a bug); still serving', { error: redactSecrets(error) });
  });
}
