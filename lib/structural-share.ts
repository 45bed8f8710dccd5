/**
 * Structural sharing: returns `next`, except that every part of it deeply equal to the
 * matching part of `prev` is `prev`'s own object. A board snapshot re-read after an edit to
 * one criterion then keeps every other criterion's object, so React can skip re-rendering
 * what did not change (memo compares props by identity). Elements of arrays of objects that
 * carry a string `id` are matched by id (a move keeps them), other elements by position.
 */
export function share<T>(prev: unknown, next: T): T {
  if (Object.is(prev, next)) return prev as T;
  if (Array.isArray(next)) {
    if (!Array.isArray(prev)) return next;
    const byId = new Map<string, unknown>();
    for (const p of prev) {
      const id = idOf(p);
      if (id !== null) byId.set(id, p);
    }
    let same = prev.length === next.length;
    const out = next.map((v: unknown, i: number) => {
      const id = idOf(v);
      const before = id !== null && byId.has(id) ? byId.get(id) : prev[i];
      const s = share(before, v);
      if (s !== prev[i]) same = false;
      return s;
    });
    return (same ? prev : out) as T;
  }
  if (isPlainObject(next) && isPlainObject(prev)) {
    const keys = Object.keys(next);
    let same = keys.length === Object.keys(prev).length;
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const had = Object.hasOwn(prev, k);
      const s = share(had ? prev[k] : undefined, next[k]);
      out[k] = s;
      if (!had || s !== prev[k]) same = false;
    }
    return (same ? prev : out) as T;
  }
  return next;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function idOf(v: unknown): string | null {
  return isPlainObject(v) && typeof v.id === 'string' ? v.id : null;
}
