import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection after answering. */
  closed: boolean;
}

/**
 * Writes `request` bytes as-is on a fresh TCP connection (fetch would normalize what we
 * want to send malformed) and resolves with the first response, once the server has sent
 * all of it or closed the connection. `trickle` keeps writing one chunk every `everyMs`
 * until the server answers, like a slow or hostile client. Rejects when nothing arrives
 * within `timeoutMs`. With `waitForClose` it resolves only once the server closed the connection.
 */
export function rawRequest(
  port: number,
  request: string,
  options: { trickle?: { chunk: string; everyMs: number }; timeoutMs?: number; waitForClose?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    let trickle: NodeJS.Timeout | null = null;
    const finish = (closed: boolean) => {
      const parsed = parseResponse(received, closed);
      if (!parsed || settled || (options.waitForClose && !closed)) return;
      settled = true;
      cleanup();
      resolve(parsed);
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(
        new Error(`no response within ${options.timeoutMs ?? 5000} ms (got ${JSON.stringify(received)})`),
      );
    }, options.timeoutMs ?? 5000);
    const cleanup = () => {
      clearTimeout(timer);
      if (trickle) clearInterval(trickle);
      socket.destroy();
    };
    socket.on('connect', () => {
      socket.write(request);
      const t = options.trickle;
      if (t) {
        trickle = setInterval(() => {
          if (!socket.destroyed && socket.writable) socket.write(t.chunk);
        }, t.everyMs);
      }
    });
    socket.on('data', (d) => {
      received += d.toString('latin1');
      finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => {
      finish(true);
      if (!settled) {
        settled = true;
        cleanup();
        reject(new Error(`connection closed without a response (got ${JSON.stringify(received)})`));
      }
    });
    socket.on('error', () => {
      // a reset after the server answered is reported by 'close'
    });
  });
}

function parseResponse(text: string, closed: boolean): RawResponse | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = text.slice(end + 4);
  const length = headers['content-length'];
  if (length !== undefined && Buffer.byteLength(body, 'latin1') < Number(length) && !closed) return null;
  if (length === undefined && !closed) return null;
  return { status, headers, body, closed };
}
