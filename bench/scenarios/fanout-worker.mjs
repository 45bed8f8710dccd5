// A worker thread of the fan-out scenario (bench/scenarios/fanout.ts): it plays the receivers
// of the boards as raw y-websocket connections. A receiver keeps no Y.Doc: it timestamps each
// document update frame it gets and reads the edit's id from the frame's bytes (the writer sets
// a criterion's description to `bench <id>`), so the load generator costs little per delivery
// and the server is what saturates. Otherwise it speaks like a WebsocketProvider: sync step 1
// on open, answers the server's step 1, and keeps an awareness state renewed every 15 s.
// Plain JavaScript: it runs in a worker thread without the TypeScript loader.
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { WebSocket } from 'ws';

/** Absolute milliseconds, comparable between the threads of one process. */
const now = () => performance.timeOrigin + performance.now();
/** y-protocols' Awareness renews the local state every outdatedTimeout / 2 = 15 s. */
const AWARENESS_RENEW_MS = 15_000;
const MARK = Buffer.from('bench ');

function varUint(out, n) {
  while (n > 0x7f) {
    out.push(0x80 | (n & 0x7f));
    n = Math.floor(n / 128);
  }
  out.push(n);
}
function varBytes(out, bytes) {
  varUint(out, bytes.length);
  for (const b of bytes) out.push(b);
}
function readVarUint(buf, pos) {
  let n = 0;
  let mult = 1;
  for (;;) {
    const b = buf[pos++];
    n += (b & 0x7f) * mult;
    if (b < 0x80) return [n, pos];
    mult *= 128;
  }
}

/** Sync step 1 with an empty state vector (the client has nothing yet). */
const SYNC_STEP1 = [0, 0, 1, 0];
/** Sync step 2 with an empty update (what an empty client answers the server's step 1). */
const SYNC_STEP2_EMPTY = [0, 1, 2, 0, 0];

function awarenessMessage(clientId, clock) {
  const update = [];
  varUint(update, 1);
  varUint(update, clientId);
  varUint(update, clock);
  varBytes(update, Buffer.from('{}'));
  const out = [1];
  varBytes(out, update);
  return out;
}

/** topo id → { collecting, arrivals: number[], receivers: Receiver[] } */
const topos = new Map();

class Receiver {
  constructor(topo, board, url, hocuspocus, docName) {
    this.topo = topo;
    this.board = board;
    this.synced = false;
    this.clientId = Math.floor(Math.random() * 2 ** 31);
    this.clock = 0;
    this.prefix = [];
    if (hocuspocus) varBytes(this.prefix, Buffer.from(docName));
    this.hocuspocus = hocuspocus;
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.whenSynced = new Promise((resolve, reject) => {
      this.onSynced = resolve;
      this.ws.once('error', reject);
      this.ws.once('close', (code, reason) => {
        if (!this.synced) reject(new Error(`closed before sync: ${code} ${reason}`));
      });
    });
    this.ws.on('open', () => {
      if (hocuspocus) this.sendRaw([2, 0, 0]); // Auth/Token, no token
      this.send(SYNC_STEP1);
      this.send(awarenessMessage(this.clientId, this.clock));
      // One extra renewal at a random moment, as for clients that joined at different times.
      this.renewal = setTimeout(() => {
        this.renew();
        this.renewal = setInterval(() => this.renew(), AWARENESS_RENEW_MS);
      }, Math.random() * AWARENESS_RENEW_MS);
    });
    this.ws.on('message', (data) => this.receive(data));
    // After the sync, a socket error (e.g. the server stopping first) closes it; no crash.
    this.ws.on('error', () => {});
  }

  renew() {
    if (this.ws.readyState === WebSocket.OPEN) this.send(awarenessMessage(this.clientId, ++this.clock));
  }

  sendRaw(bytes) {
    this.ws.send(Buffer.from([...this.prefix, ...bytes]));
  }

  send(bytes) {
    this.sendRaw(bytes);
  }

  receive(buf) {
    const t = now();
    let pos = 0;
    if (this.hocuspocus) {
      const [len, p] = readVarUint(buf, 0);
      pos = p + len;
    }
    const type = buf[pos];
    // Sync (0), or Hocuspocus' SyncReply (4), which is a Sync message too.
    if (type !== 0 && type !== 4) return;
    const sub = buf[pos + 1];
    if (sub === 0) {
      this.send(SYNC_STEP2_EMPTY);
      return;
    }
    if (sub === 1) {
      if (!this.synced) {
        this.synced = true;
        this.onSynced();
      }
      return;
    }
    if (sub !== 2) return;
    const topo = topos.get(this.topo);
    if (!topo?.collecting) return;
    const at = buf.indexOf(MARK, pos + 2);
    if (at < 0) return;
    let id = 0;
    for (let i = at + MARK.length; i < buf.length; i++) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      id = id * 10 + (c - 48);
    }
    topo.arrivals.push(this.board, id, t);
  }

  close() {
    clearTimeout(this.renewal);
    clearInterval(this.renewal);
    this.ws.close();
  }
}

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'open') {
      let topo = topos.get(msg.topo);
      if (!topo) {
        topo = { collecting: false, arrivals: [], receivers: [] };
        topos.set(msg.topo, topo);
      }
      const opened = msg.receivers.map(
        (r) => new Receiver(msg.topo, r.board, r.url, msg.hocuspocus, r.docName),
      );
      topo.receivers.push(...opened);
      const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('receivers did not sync within 20 s')), 20_000).unref(),
      );
      await Promise.race([Promise.all(opened.map((r) => r.whenSynced)), timeout]);
      parentPort.postMessage({ type: 'opened', topo: msg.topo });
    } else if (msg.type === 'collect') {
      const topo = topos.get(msg.topo);
      if (topo) {
        topo.collecting = msg.on;
        if (msg.on) topo.arrivals = [];
      }
      parentPort.postMessage({ type: 'collecting', topo: msg.topo });
    } else if (msg.type === 'take') {
      const topo = topos.get(msg.topo);
      const data = Float64Array.from(topo?.arrivals ?? []);
      if (topo) topo.arrivals = [];
      parentPort.postMessage({ type: 'arrivals', topo: msg.topo, data }, [data.buffer]);
    } else if (msg.type === 'close') {
      const topo = topos.get(msg.topo);
      for (const r of topo?.receivers ?? []) r.close();
      topos.delete(msg.topo);
      parentPort.postMessage({ type: 'closed', topo: msg.topo });
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', topo: msg.topo, message: String(err?.stack ?? err) });
  }
});
