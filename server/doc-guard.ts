import * as Y from 'yjs';
import { LIMITS } from '@/lib/limits';

export type UpdateVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks an incoming Yjs update before it touches a board: it must decode completely
 * (struct section and delete set) and carry no string longer than MAX_DOC_STRING_CHARS.
 * Decoding fully first matters: `Y.applyUpdate` integrates structs before it reads the
 * delete set, so a truncated update could otherwise be half-applied.
 */
export function inspectUpdate(update: Uint8Array): UpdateVerdict {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return { ok: false, reason: 'update cannot be decoded' };
  }
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) continue;
    const content = struct.content;
    if (content instanceof Y.ContentString) {
      if (content.str.length > LIMITS.MAX_DOC_STRING_CHARS) return { ok: false, reason: 'text too long' };
    } else if (content instanceof Y.ContentAny) {
      for (const value of content.arr) {
        if (!valueWithinLimits(value, 0)) return { ok: false, reason: 'value too long or too deep' };
      }
    }
  }
  return { ok: true };
}

const MAX_VALUE_DEPTH = 8;

function valueWithinLimits(value: unknown, depth: number): boolean {
  if (depth > MAX_VALUE_DEPTH) return false;
  if (typeof value === 'string') return value.length <= LIMITS.MAX_DOC_STRING_CHARS;
  if (Array.isArray(value)) return value.every((v) => valueWithinLimits(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(
      ([k, v]) => k.length <= LIMITS.MAX_DOC_STRING_CHARS && valueWithinLimits(v, depth + 1),
    );
  }
  return true;
}
