/**
 * Bench-only IPC for the server child processes: the bench asks for memory figures and the
 * number of loaded rooms over the Node IPC channel, so nothing bench-specific is added to
 * the servers themselves.
 */
export interface MemReply {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  rooms: number;
}

export interface IpcRequest {
  id: number;
  type: 'mem' | 'rooms';
}

export function installIpc(rooms: () => number): void {
  process.on('message', (raw: unknown) => {
    const msg = raw as IpcRequest;
    if (msg.type === 'rooms') {
      process.send?.({ id: msg.id, rooms: rooms() });
      return;
    }
    if (msg.type === 'mem') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) {
        gc();
        gc();
      }
      const m = process.memoryUsage();
      const reply: MemReply = {
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        rss: m.rss,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        rooms: rooms(),
      };
      process.send?.({ id: msg.id, ...reply });
    }
  });
}
