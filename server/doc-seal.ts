import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ValueSealer } from '@/lib/board-schema';

/** Characters of a seal: 128 bits of HMAC-SHA256, base64url. */
const SEAL_CHARS = 22;
/** Largest sealed value, as canonical JSON (an evidence entry with a long claim and link fits). */
export const MAX_SEALED_JSON_CHARS = 8 * 1024;
const MAX_SEALED_DEPTH = 6;

/**
 * Seals for values only the server may write into a board document (evidence entries and
 * contested points): an HMAC of the board id, a scope (`evidence:<criterionId>`) and the
 * value's canonical JSON, under the installation secret. A client may copy a sealed value
 * (moving or restoring a criterion re-creates its evidence) but cannot make or alter one:
 * the document guard refuses evidence without a valid seal, so authors cannot be forged.
 */
export class DocSeal {
  constructor(private readonly secret: Uint8Array) {}

  private mac(boardId: string, scope: string, canonical: string): string {
    return createHmac('sha256', this.secret)
      .update(`${boardId}\n${scope}\n${canonical}`)
      .digest('base64url')
      .slice(0, SEAL_CHARS);
  }

  /** The sealer that lib/board-schema.ts accessors take, for one board. */
  sealerFor(boardId: string): ValueSealer {
    return (scope, value) => {
      const canonical = canonicalJson(value);
      if (canonical === null) throw new Error('a sealed value must be plain JSON');
      return this.mac(boardId, scope, canonical);
    };
  }

  /** True when `value` is a plain object carrying a valid `sig` for this board and scope. */
  verify(boardId: string, scope: string, value: unknown): boolean {
    if (!isPlainObject(value)) return false;
    const { sig, ...rest } = value;
    if (typeof sig !== 'string' || sig.length !== SEAL_CHARS) return false;
    const canonical = canonicalJson(rest);
    if (canonical === null || canonical.length > MAX_SEALED_JSON_CHARS) return false;
    const expected = Buffer.from(this.mac(boardId, scope, canonical));
    const presented = Buffer.from(sig);
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * JSON with object keys sorted, so equal values have one spelling; null for anything that
 * is not plain JSON (binary, bigint, undefined, non-finite numbers) or nests too deep.
 */
export function canonicalJson(value: unknown, depth = 0): string | null {
  if (depth > MAX_SEALED_DEPTH) return null;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : null;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const v of value) {
      const c = canonicalJson(v, depth + 1);
      if (c === null) return null;
      parts.push(c);
    }
    return `[${parts.join(',')}]`;
  }
  if (isPlainObject(value)) {
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const c = canonicalJson(value[key], depth + 1);
      if (c === null) return null;
      parts.push(`${JSON.stringify(key)}:${c}`);
    }
    return `{${parts.join(',')}}`;
  }
  return null;
}
