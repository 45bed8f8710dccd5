import { WebSocket } from 'ws';

/** A y-websocket update message: [sync=0][update=2][varint length][update bytes]. */
export function updateMessage(update: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0, 2]), varUint(update.length), Buffer.from(update)]);
}

/** A raw WebSocket on /yjs: what it was sent, and how it closed. */
export interface RawDocSocket {
  ws: WebSocket;
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Every binary message received so far. */
  received: Uint8Array[];
}

/** Opens a raw WebSocket to `url` (e.g. from `docUrl`), recording what it receives. */
export function rawDocSocket(url: string, options: { origin?: string } = {}): RawDocSocket {
  const ws = new WebSocket(url, options.origin ? { origin: options.origin } : {});
  const received: Uint8Array[] = [];
  ws.on('message', (data: Buffer) => received.push(new Uint8Array(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  return { ws, opened, closed, received };
}

/** A y-websocket sync step 1 message: [sync=0][step1=0][state vector]. */
export function syncStep1Message(stateVector: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0, 0]), varUint(stateVector.length), Buffer.from(stateVector)]);
}

/** An awareness message: [awareness=1][update]. */
export function awarenessMessage(update: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([1]), varUint(update.length), Buffer.from(update)]);
}

function varUint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/**
 * Resolves with the reason of the next y-protocols "permission denied" message the provider's
 * connection receives ([auth=2][denied=0][reason]): the server's answer to a dropped update.
 */
export function nextPermissionDenied(
  ws: { addEventListener: WebSocket['addEventListener'] } | null,
): Promise<string> {
  if (!ws) return Promise.reject(new Error('the provider is not connected'));
  return new Promise((resolve) => {
    const onMessage = (event: { data: unknown }) => {
      const data =
        event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : new Uint8Array(event.data as Buffer);
      if (data[0] === 2 && data[1] === 0) resolve(Buffer.from(data.subarray(3)).toString('utf8'));
    };
    ws.addEventListener('message', onMessage as never);
  });
}
