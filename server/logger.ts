/**
 * A minimal structured logger. Secrets (board ids excepted: they are in paths), keys
 * and tokens are never passed to it.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: 'silent' | 'info' = 'info'): Logger {
  const write =
    (lvl: string, out: (line: string) => void) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (level === 'silent') return;
      out(JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...fields }));
    };
  return {
    info: write('info', (l) => console.log(l)),
    warn: write('warn', (l) => console.warn(l)),
    error: write('error', (l) => console.error(l)),
  };
}

/**
 * A board id is the participant secret, so logs carry this short, one-way tag instead.
 */
export function boardTag(boardId: string): string {
  let h = 2166136261;
  for (let i = 0; i < boardId.length; i++) h = Math.imul(h ^ boardId.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A run of base64url characters as long as our secrets (server/secrets.ts: 22+). */
const SECRET_SHAPED = /[A-Za-z0-9_-]{22,}/g;

/**
 * `text` with anything shaped like a board id, key or token replaced by "…": for error
 * messages from lower layers, which may quote what they were given.
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_SHAPED, '…');
}
