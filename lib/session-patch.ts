import type { RoundView, SessionState } from './protocol';

/** Some items of an array replaced: its new length, and the items that changed by index. */
export interface ItemsPatch {
  length: number;
  set: Record<string, unknown>;
}

/**
 * A change to a client's `SessionState`, sent as `session:patch` (docs/PROTOCOL.md, "Session
 * state: the join state and patches"). Generic over the state's fields, so a field added to
 * `SessionState` or `RoundView` travels without changes here:
 *
 * - `set`: top-level fields replaced whole (any field but `rounds`);
 * - `unset`: top-level fields that no longer exist;
 * - `rounds`: the new number of rounds, and per index either a whole round (it has `id`: a
 *   round new at that index, or one that lost a field) or only the fields of that round that
 *   changed, each replaced whole (no `id`: a round's id never changes);
 * - `rounds.items`: per round index and array field (such as `progress`), only the items that
 *   changed, when few did: one person's progress is one item, not the whole list.
 */
export interface SessionPatch {
  set?: Partial<Omit<SessionState, 'rounds'>>;
  unset?: string[];
  rounds?: {
    length: number;
    set: Record<string, Partial<RoundView>>;
    items?: Record<string, Record<string, ItemsPatch>>;
  };
}

type Fields = Record<string, unknown>;

/**
 * Equal as the client would see them. Identical values are equal without a look inside:
 * the server keeps unchanged parts (revealed rounds, progress entries, roster) as the same
 * objects, so only small values are ever compared by their JSON.
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The items of `next` that differ from `prev`'s, or null when replacing it whole is as good. */
function diffItems(prev: unknown[], next: unknown[]): ItemsPatch | null {
  const set: Record<string, unknown> = {};
  let changed = 0;
  for (let i = 0; i < next.length; i++) {
    if (i < prev.length && same(prev[i], next[i])) continue;
    set[i] = next[i];
    // More than half changed: the whole array is about as small, and simpler to apply.
    if (++changed * 2 > next.length) return null;
  }
  return { length: next.length, set };
}

function diffFields(prev: Fields, next: Fields, skip?: string): { set: Fields; unset: string[] } {
  const set: Fields = {};
  const unset: string[] = [];
  for (const k of Object.keys(next)) {
    if (k === skip) continue;
    if (!(k in prev) || !same(prev[k], next[k])) set[k] = next[k];
  }
  for (const k of Object.keys(prev)) if (k !== skip && !(k in next)) unset.push(k);
  return { set, unset };
}

/** What turns `prev` into `next`, or null when a client that has `prev` needs nothing. */
export function diffSessionState(prev: SessionState, next: SessionState): SessionPatch | null {
  const patch: SessionPatch = {};
  const top = diffFields(prev as unknown as Fields, next as unknown as Fields, 'rounds');
  if (Object.keys(top.set).length > 0) patch.set = top.set as SessionPatch['set'];
  if (top.unset.length > 0) patch.unset = top.unset;
  const rounds: Record<string, Partial<RoundView>> = {};
  const items: Record<string, Record<string, ItemsPatch>> = {};
  let changed = prev.rounds.length !== next.rounds.length;
  next.rounds.forEach((round, i) => {
    const before = prev.rounds[i];
    if (before === round) return;
    if (!before || before.id !== round.id) {
      rounds[i] = round;
      changed = true;
      return;
    }
    const d = diffFields(before as unknown as Fields, round as unknown as Fields);
    if (d.unset.length > 0) {
      rounds[i] = round;
      changed = true;
      return;
    }
    const whole: Fields = {};
    for (const [k, v] of Object.entries(d.set)) {
      const old = (before as unknown as Fields)[k];
      const few = Array.isArray(old) && Array.isArray(v) ? diffItems(old, v) : null;
      if (few) {
        items[i] ??= {};
        items[i][k] = few;
      } else whole[k] = v;
    }
    if (Object.keys(whole).length > 0) rounds[i] = whole as Partial<RoundView>;
    if (Object.keys(d.set).length > 0) changed = true;
  });
  if (changed) {
    patch.rounds = { length: next.rounds.length, set: rounds };
    if (Object.keys(items).length > 0) patch.rounds.items = items;
  }
  return patch.set || patch.unset || patch.rounds ? patch : null;
}

/**
 * The state after a patch: the one place a client applies `session:patch`. Pure; the old
 * state is left as it was, and unchanged parts are shared with it.
 */
export function applySessionPatch(state: SessionState, patch: SessionPatch): SessionState {
  const next = { ...state, ...patch.set } as SessionState;
  for (const k of patch.unset ?? []) delete (next as unknown as Fields)[k];
  if (patch.rounds) {
    const rounds = state.rounds.slice(0, patch.rounds.length);
    for (const [i, fields] of Object.entries(patch.rounds.set)) {
      const index = Number(i);
      const before = rounds[index];
      // With `id` it is a whole round; without, the changed fields of the one already there.
      rounds[index] = (before && !('id' in fields) ? { ...before, ...fields } : fields) as RoundView;
    }
    for (const [i, byField] of Object.entries(patch.rounds.items ?? {})) {
      const index = Number(i);
      const round = { ...rounds[index] } as unknown as Fields;
      for (const [field, p] of Object.entries(byField)) {
        const arr = (Array.isArray(round[field]) ? (round[field] as unknown[]) : []).slice(0, p.length);
        for (const [j, item] of Object.entries(p.set)) arr[Number(j)] = item;
        round[field] = arr;
      }
      rounds[index] = round as unknown as RoundView;
    }
    next.rounds = rounds;
  }
  return next;
}

/**
 * A long array of flat objects with the same keys (revealed scores, progress), packed by
 * column: string columns as a dictionary and indices, other columns as they are. A revealed
 * round of 100 people shrinks about 8×, for the server to write and for every client to parse.
 */
export interface PackedTable {
  $table: string[];
  cols: ({ s: string[]; i: number[] } | { v: unknown[] })[];
}

/** Arrays shorter than this are sent as they are. */
export const PACK_MIN_ITEMS = 32;

type Primitive = string | number | boolean | null;

function packable(arr: unknown[]): string[] | null {
  if (arr.length < PACK_MIN_ITEMS) return null;
  const first = arr[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return null;
  const keys = Object.keys(first);
  for (const item of arr) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return null;
    const k = Object.keys(item);
    if (k.length !== keys.length) return null;
    for (let j = 0; j < k.length; j++) {
      if (k[j] !== keys[j]) return null;
      const v = (item as Fields)[k[j]!];
      if (v !== null && typeof v === 'object') return null;
      if (v === undefined) return null;
    }
  }
  return keys;
}

function packTable(arr: Fields[], keys: string[]): PackedTable {
  const cols = keys.map((key) => {
    if (arr.every((item) => typeof item[key] === 'string')) {
      const index = new Map<string, number>();
      const s: string[] = [];
      const i = arr.map((item) => {
        const v = item[key] as string;
        let n = index.get(v);
        if (n === undefined) {
          n = s.length;
          s.push(v);
          index.set(v, n);
        }
        return n;
      });
      return { s, i };
    }
    return { v: arr.map((item) => item[key] as Primitive) };
  });
  return { $table: keys, cols };
}

const packedCache = new WeakMap<object, unknown>();

/**
 * A value as sent: every long array of flat same-keyed objects in it packed (`PackedTable`).
 * Packing is cached per array object, so a part shared by many clients is packed once.
 */
export function packValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const cached = packedCache.get(value);
  if (cached !== undefined) return cached;
  let out: unknown;
  if (Array.isArray(value)) {
    const keys = packable(value);
    out = keys ? packTable(value as Fields[], keys) : value.map(packValue);
  } else {
    const o: Fields = {};
    for (const [k, v] of Object.entries(value)) o[k] = packValue(v);
    out = o;
  }
  packedCache.set(value, out);
  return out;
}

/** The value as it was before `packValue`. */
export function unpackValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(unpackValue);
  const t = value as Partial<PackedTable>;
  if (Array.isArray(t.$table) && Array.isArray(t.cols)) {
    const keys = t.$table;
    const cols = t.cols;
    const n = cols[0] ? ('i' in cols[0] ? cols[0].i.length : cols[0].v.length) : 0;
    const rows: Fields[] = [];
    for (let r = 0; r < n; r++) {
      const row: Fields = {};
      keys.forEach((key, c) => {
        const col = cols[c]!;
        row[key] = 'i' in col ? col.s[col.i[r]!] : col.v[r];
      });
      rows.push(row);
    }
    return rows;
  }
  const o: Fields = {};
  for (const [k, v] of Object.entries(value)) o[k] = unpackValue(v);
  return o;
}

/** A patch as sent on the wire (`session:patch`): long uniform arrays packed. */
export function packPatch(patch: SessionPatch): SessionPatch {
  return packValue(patch) as SessionPatch;
}

/** Applies a patch as received on the wire: unpacks it, then `applySessionPatch`. */
export function applyWirePatch(state: SessionState, patch: SessionPatch): SessionState {
  return applySessionPatch(state, unpackValue(patch) as SessionPatch);
}
