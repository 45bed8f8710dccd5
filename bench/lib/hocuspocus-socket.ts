import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';

/**
 * A WebSocket look-alike that lets the standard y-websocket `WebsocketProvider` talk to a
 * Hocuspocus 4 server (@hocuspocus/provider is not installed). The Hocuspocus protocol is
 * the y-websocket one with two differences, both handled here:
 *
 * - every message starts with the document name (a lib0 var-string), both ways;
 * - before anything else, the client sends an Auth/Token message
 *   (`name, 2 (Auth), 0 (Token), token`); the server queues every other message until its
 *   onAuthenticate hooks pass (none are configured here), answers Auth/Authenticated, and
 *   then processes the queue.
 *
 * Incoming Sync (0), Awareness (1) and QueryAwareness (3) go to the provider unchanged,
 * SyncReply (4) is passed on as Sync, and Hocuspocus-only messages (Auth acks,
 * SyncStatus (8), Close (7), Stateless) are dropped. The framing costs one small copy per
 * message on the client side, in the bench process.
 */
export class HocuspocusSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: Uint8Array }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  binaryType = 'arraybuffer';

  private readonly ws: WebSocket;
  private readonly prefix: Uint8Array;

  constructor(url: string) {
    const u = new URL(url);
    const documentName = decodeURIComponent(u.pathname.split('/').pop() ?? '');
    const enc = encoding.createEncoder();
    encoding.writeVarString(enc, documentName);
    this.prefix = encoding.toUint8Array(enc);
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.ws.onopen = (event) => {
      const auth = encoding.createEncoder();
      encoding.writeUint8Array(auth, this.prefix);
      encoding.writeVarUint(auth, 2); // MessageType.Auth
      encoding.writeVarUint(auth, 0); // AuthMessageType.Token
      encoding.writeVarString(auth, ''); // no token: no onAuthenticate hook is configured
      this.ws.send(encoding.toUint8Array(auth));
      this.onopen?.(event);
    };
    this.ws.onmessage = (event) => this.receive(event.data as Buffer);
    this.ws.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
    this.ws.onerror = (event) => this.onerror?.(event);
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  /** The negotiated extensions (e.g. permessage-deflate), for the bench's sanity check. */
  get extensions(): string {
    return this.ws.extensions;
  }

  send(data: Uint8Array): void {
    const out = new Uint8Array(this.prefix.length + data.length);
    out.set(this.prefix, 0);
    out.set(data, this.prefix.length);
    this.ws.send(out);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  private receive(buf: Buffer): void {
    const decoder = decoding.createDecoder(buf);
    decoding.readVarString(decoder);
    const start = decoder.pos;
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case 0: // Sync
      case 1: // Awareness
      case 3: // QueryAwareness
        this.onmessage?.({ data: buf.subarray(start) });
        return;
      case 4: {
        // SyncReply: a Sync message that must not trigger another SyncStep1 — same for us.
        const body = buf.subarray(decoder.pos);
        const out = new Uint8Array(body.length + 1);
        out[0] = 0;
        out.set(body, 1);
        this.onmessage?.({ data: out });
        return;
      }
      case 2: {
        // Auth: 1 = PermissionDenied, 2 = Authenticated.
        if (decoding.readVarUint(decoder) === 1) {
          console.warn(`hocuspocus: permission denied: ${decoding.readVarString(decoder)}`);
        }
        return;
      }
      default:
        // SyncStatus (8), Close (7), Stateless (5), …: nothing the provider understands.
        return;
    }
  }
}
