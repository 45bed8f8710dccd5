import * as Y from 'yjs';
import {
  CRITERION_RULES,
  DECISION_RULES,
  isRootName,
  type KeyRule,
  META_RULES,
  OPTION_RULES,
  ROOTS,
  valueProblem,
} from '@/lib/board-doc-schema';
import { contestedSealScope, evidenceSealScope } from '@/lib/board-schema';
import { isSafeText } from '@/lib/text-safety';

/**
 * The document guard: checks an incoming Yjs update against the board schema
 * (lib/board-doc-schema.ts) *before* it touches the board, so a refused update changes
 * nothing. It works on the decoded structs and the live document, resolving each new
 * item's place the way Yjs will integrate it (its parent, else the parent of its left or
 * right neighbour), and checks:
 *
 * - the update decodes completely and depends on nothing the server lacks (no gaps: Yjs
 *   would otherwise keep such structs pending, without bound);
 * - every Yjs client id it writes belongs to the writer (the first participant to write
 *   with an id owns it), so nobody can overwrite someone else's offline edits;
 * - each item sits where the schema allows: known roots, known keys, the right content
 *   kind and value; server-written keys and sealed values (evidence, contested points)
 *   come only from the server; ids never change;
 * - shared text inside maps (option and criterion descriptions) is plain text within its
 *   length, counted over the whole text;
 * - structure (options, criteria, weights) is not touched while it is frozen;
 * - counts and sizes stay within LIMITS.
 */

export type Refusal =
  /** Not a decodable update, or nonsense Yjs cannot integrate. */
  | 'malformed'
  /** Depends on content the server does not have: the client should resync. */
  | 'gap'
  /** Writes with a Yjs client id another participant owns. */
  | 'foreign-client'
  /** Breaks the board schema or a limit. */
  | 'schema'
  /** Changes structure or weights while they are frozen. */
  | 'frozen';

export type GuardVerdict =
  | {
      ok: true;
      /** Client ids written for the first time: they now belong to the writer. */
      claims: number[];
      /** Client ids this update adds content for. */
      touched: number[];
      /**
       * The update may change structure (options, criteria, names, weights): the room then
       * compares the structure before and after, for the board's history.
       */
      structure: boolean;
    }
  | { ok: false; refusal: Refusal; reason: string };

export interface GuardContext {
  /** The live document, before the update. */
  doc: Y.Doc;
  /** Who writes: the owner recorded for client ids this update claims. */
  writer: string;
  /** Owners of the client ids the board has seen. Ids with content but no owner are nobody's. */
  owners: ReadonlyMap<number, string>;
  /** Options, criteria and weights may not change. */
  structureFrozen: boolean;
  /** Checks the seal of a server-written value for a scope (see server/doc-seal.ts). */
  verifySealed(scope: string, value: unknown): boolean;
}

type Role =
  | 'meta'
  | 'options'
  | 'criteria'
  | 'sources'
  | 'history'
  | 'removedCriteria'
  | 'notes'
  | 'question'
  | 'decision'
  | 'option'
  | 'criterion'
  | 'evidence'
  /** Shared text inside an option or criterion (its description). */
  | 'description'
  | 'invalid';

/** A shared type an item goes into: one already in the document, or one this update creates. */
interface Container {
  role: Role;
  /** Created by this update (keys written only at creation are allowed in it). */
  isNew: boolean;
  /** The existing type, when not new. */
  type: SharedType | null;
  /** The update's item that creates it, when new. */
  item: Y.Item | null;
  /** The container holding this one (a criterion for its evidence list). */
  parent: Container | null;
  /** The key it sits under in its parent map (e.g. `description`), or null. */
  key: string | null;
}

/** Where a new item goes; `void` when Yjs will garbage-collect it on arrival (harmless). */
type Place = { container: Container; key: string | null } | 'void';

type Struct = Y.Item | Y.GC | Y.Skip;
type DeleteSet = ReturnType<typeof Y.createDeleteSet>;
type Content = Y.Item['content'];
/** Any shared type (Y.Map, Y.Array, Y.Text, …), as the document holds them. */
type SharedType = NonNullable<ReturnType<Y.Doc['share']['get']>>;

class Refused extends Error {
  constructor(
    readonly refusal: Refusal,
    reason: string,
  ) {
    super(reason);
  }
}

const RULES: Partial<Record<Role, Record<string, KeyRule>>> = {
  meta: META_RULES,
  decision: DECISION_RULES,
  option: OPTION_RULES,
  criterion: CRITERION_RULES,
};

function typeKind(type: SharedType): 'map' | 'array' | 'text' | 'other' {
  if (type.constructor === Y.Map) return 'map';
  if (type.constructor === Y.Array) return 'array';
  if (type.constructor === Y.Text) return 'text';
  return 'other';
}

/** The rule of a shared-text key of a map role (a description), or null. */
function sharedTextRule(parent: Role, key: string | null): { kind: 'sharedText'; max: number } | null {
  const rules = RULES[parent];
  if (!rules || key === null || !Object.hasOwn(rules, key)) return null;
  const value = rules[key]!.value;
  return value.kind === 'sharedText' ? value : null;
}

/** The role of a type created in `parent` under `key`. */
function childRole(parent: Role, key: string | null, kind: ReturnType<typeof typeKind>): Role {
  if (parent === 'options' && key === null && kind === 'map') return 'option';
  if (parent === 'criteria' && key === null && kind === 'map') return 'criterion';
  if (parent === 'criterion' && key === 'evidence' && kind === 'array') return 'evidence';
  if (kind === 'text' && sharedTextRule(parent, key)) return 'description';
  return 'invalid';
}

/** Binary search for the struct holding `clock` in a clock-ordered list. */
function findIn(structs: Struct[], clock: number): Struct | null {
  let lo = 0;
  let hi = structs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = structs[mid]!;
    if (clock < s.id.clock) hi = mid - 1;
    else if (clock >= s.id.clock + s.length) lo = mid + 1;
    else return s;
  }
  return null;
}

/**
 * Sorts each client's delete ranges and merges overlapping ones. Yjs writes them so; a
 * hostile update may not, and overlapping ranges would make the checks below repeat work.
 */
function normalizeDeleteSet(ds: DeleteSet): void {
  for (const [client, ranges] of ds.clients) {
    // One range (an ordinary edit deletes one run per client): already in order.
    if (ranges.length < 2) continue;
    ranges.sort((a, b) => a.clock - b.clock);
    const merged: typeof ranges = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r.clock <= last.clock + last.len) {
        last.len = Math.max(last.len, r.clock + r.len - last.clock);
      } else merged.push(r);
    }
    ds.clients.set(client, merged);
  }
}

/** How much of [clock, clock + len) of `client` the (normalized) delete set covers. */
function deletedOverlap(ds: DeleteSet, client: number, clock: number, len: number): number {
  const ranges = ds.clients.get(client);
  if (!ranges || len <= 0) return 0;
  // First range that ends after `clock`.
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.clock + ranges[mid]!.len <= clock) lo = mid + 1;
    else hi = mid;
  }
  let covered = 0;
  for (let i = lo; i < ranges.length && ranges[i]!.clock < clock + len; i++) {
    const r = ranges[i]!;
    covered += Math.min(r.clock + r.len, clock + len) - Math.max(r.clock, clock);
  }
  return covered;
}

export function guardUpdate(update: Uint8Array, ctx: GuardContext): GuardVerdict {
  let decoded: { structs: Struct[]; ds: DeleteSet };
  try {
    decoded = Y.decodeUpdate(update) as { structs: Struct[]; ds: DeleteSet };
  } catch {
    return { ok: false, refusal: 'malformed', reason: 'the update cannot be decoded' };
  }
  try {
    return new UpdateCheck(decoded, ctx).run();
  } catch (err) {
    if (err instanceof Refused) return { ok: false, refusal: err.refusal, reason: err.message };
    // A shape Yjs could not integrate either (e.g. a parent id pointing into text).
    return { ok: false, refusal: 'malformed', reason: 'the update is not a valid Yjs update' };
  }
}

class UpdateCheck {
  private readonly store: Y.Doc['store'];
  /** The update's structs per client, in clock order. */
  private readonly local = new Map<number, Struct[]>();
  /** The doc's state per client before the update. */
  private readonly states = new Map<number, number>();
  private readonly places = new Map<Y.Item, Place>();
  private readonly newContainers = new Map<Y.Item, Container>();
  private readonly typeContainers = new Map<SharedType, Container>();
  /** Values written into each new option or criterion, by key (for the required id). */
  private readonly newMapValues = new Map<Container, Map<string, unknown>>();
  private readonly sealsToCheck: { container: Container; kind: 'evidence' | 'contested'; value: unknown }[] =
    [];
  private readonly inserted = new Map<Container, number>();
  private readonly deletedLive = new Map<Container, number>();
  private readonly rootContainers = new Map<string, Container>();
  /** Set when the update touches options, criteria, names or weights. */
  private structural = false;
  /** Options and criteria this update creates: each must carry an id. */
  private readonly newElements: { item: Y.Item; role: 'option' | 'criterion'; list: SharedType | null }[] =
    [];

  constructor(
    private readonly decoded: { structs: Struct[]; ds: DeleteSet },
    private readonly ctx: GuardContext,
  ) {
    this.store = ctx.doc.store;
    normalizeDeleteSet(decoded.ds);
  }

  private state(client: number): number {
    let s = this.states.get(client);
    if (s === undefined) {
      s = Y.getState(this.store, client);
      this.states.set(client, s);
    }
    return s;
  }

  run(): GuardVerdict {
    const newItems: { item: Y.Item; offset: number }[] = [];
    const touched: number[] = [];
    for (const s of this.decoded.structs) {
      const list = this.local.get(s.id.client);
      if (list) list.push(s);
      else this.local.set(s.id.client, [s]);
    }
    for (const [client, structs] of this.local) {
      const state = this.state(client);
      const first = structs[0]!;
      if (first.id.clock > state) {
        throw new Refused('gap', 'the update depends on edits the server does not have');
      }
      let hasNew = false;
      for (const s of structs) {
        if (s instanceof Y.Skip) throw new Refused('gap', 'the update has a hole in it');
        const end = s.id.clock + s.length;
        if (end <= state) continue; // already known: Yjs skips it
        hasNew = true;
        if (s instanceof Y.Item) newItems.push({ item: s, offset: Math.max(0, state - s.id.clock) });
      }
      if (hasNew) touched.push(client);
    }

    const claims = this.checkOwners(touched);
    for (const { item, offset } of newItems) this.checkItem(item, offset);
    this.checkDeletions();
    this.checkNewMaps();
    this.checkSeals();
    this.checkCounts();
    return { ok: true, claims, touched, structure: this.structural };
  }

  // ---- owners of client ids ---------------------------------------------------------------

  private checkOwners(touched: number[]): number[] {
    const claims: number[] = [];
    for (const client of touched) {
      const owner = this.ctx.owners.get(client);
      if (owner === undefined) {
        if (this.state(client) > 0) {
          throw new Refused('foreign-client', 'this Yjs client id has edits from before it had an owner');
        }
        claims.push(client);
      } else if (owner !== this.ctx.writer) {
        throw new Refused('foreign-client', 'this Yjs client id belongs to someone else');
      }
    }
    return claims;
  }

  // ---- finding structs and their places -----------------------------------------------------

  /** The struct holding `id`: the document's when it has it, else the update's; null if neither. */
  private find(id: Y.ID): { struct: Struct; local: boolean } | null {
    if (id.clock < this.state(id.client)) {
      const structs = this.store.clients.get(id.client);
      if (!structs) return null;
      return { struct: structs[Y.findIndexSS(structs, id.clock)]!, local: false };
    }
    const list = this.local.get(id.client);
    const s = list ? findIn(list, id.clock) : null;
    return s ? { struct: s, local: true } : null;
  }

  /** The container for an existing type of the document. */
  private containerOfType(type: SharedType): Container {
    const known = this.typeContainers.get(type);
    if (known) return known;
    // Walk up to the root, then build containers on the way down (no recursion: depth is hostile).
    const chain: SharedType[] = [];
    let t: SharedType | null = type;
    let top: Container | null = null;
    while (t) {
      const cached = this.typeContainers.get(t);
      if (cached) {
        top = cached;
        break;
      }
      chain.push(t);
      const item: Y.Item | null = t._item;
      t = item ? (item.parent as SharedType | null) : null;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const ty = chain[i]!;
      let c: Container;
      if (ty._item === null) {
        let name = '';
        try {
          name = Y.findRootTypeKey(ty);
        } catch {
          name = '';
        }
        const role: Role = isRootName(name) ? name : 'invalid';
        c = { role, isNew: false, type: ty, item: null, parent: null, key: null };
      } else {
        const parentRole = top?.role ?? 'invalid';
        c = {
          role: childRole(parentRole, ty._item.parentSub, typeKind(ty)),
          isNew: false,
          type: ty,
          item: null,
          parent: top,
          key: ty._item.parentSub,
        };
      }
      this.typeContainers.set(ty, c);
      top = c;
    }
    return top!;
  }

  private rootContainer(name: string): Container {
    const existing = this.ctx.doc.share.get(name);
    if (existing) return this.containerOfType(existing);
    let c = this.rootContainers.get(name);
    if (!c) {
      c = {
        role: isRootName(name) ? name : 'invalid',
        isNew: false,
        type: null,
        item: null,
        parent: null,
        key: null,
      };
      this.rootContainers.set(name, c);
    }
    return c;
  }

  /**
   * The place of a new item, as Yjs will integrate it. Resolved without recursion: a chain
   * of items each placed after the previous one is as long as an attacker wants.
   */
  private placeOf(start: Y.Item, offset: number): Place {
    const stack: { item: Y.Item; offset: number }[] = [{ item: start, offset }];
    const visiting = new Set<Y.Item>([start]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.places.has(top.item)) {
        stack.pop();
        continue;
      }
      const step = this.placeStep(top.item, top.offset);
      if ('needs' in step) {
        if (visiting.has(step.needs))
          throw new Refused('malformed', 'the update refers to itself in a cycle');
        visiting.add(step.needs);
        stack.push({ item: step.needs, offset: this.offsetOf(step.needs) });
        continue;
      }
      this.places.set(top.item, step.place);
      stack.pop();
    }
    return this.places.get(start)!;
  }

  private offsetOf(item: Y.Item): number {
    return Math.max(0, this.state(item.id.client) - item.id.clock);
  }

  private placeStep(item: Y.Item, offset: number): { place: Place } | { needs: Y.Item } {
    if (offset > 0) {
      // Yjs integrates only the unknown tail: into the parent the item names (its own, or
      // its neighbours'), linked in right after the known part. An honest sender's item is
      // one piece in one place; one that names another place than its known part is in
      // would be linked into two types at once (e.g. a notes character written as a
      // server-only key), and one that continues a garbage-collected part into a live
      // place crashes Yjs's integration.
      const declared = this.placeStep(item, 0);
      if ('needs' in declared || declared.place === 'void') return declared;
      const left = this.find(Y.createID(item.id.client, item.id.clock + offset - 1));
      const known =
        left && !(left.struct instanceof Y.GC)
          ? this.placeAfterNeighbour(left.struct as Y.Item, left.local)
          : { place: 'void' as const };
      if ('place' in known && known.place !== 'void') {
        const a = declared.place;
        const b = known.place;
        if (a.container === b.container && a.key === b.key) return declared;
      }
      throw new Refused('malformed', 'the update continues an edit somewhere else than where it is');
    }
    if (typeof item.parent === 'string') {
      return { place: { container: this.rootContainer(item.parent), key: item.parentSub } };
    }
    if (item.parent instanceof Y.ID) {
      const found = this.find(item.parent);
      if (!found) throw new Refused('gap', 'the update writes into a type the server does not have');
      if (found.struct instanceof Y.GC) return { place: 'void' };
      const parentItem = found.struct as Y.Item;
      if (!(parentItem.content instanceof Y.ContentType) || parentItem.id.clock !== item.parent.clock) {
        throw new Refused('malformed', 'the parent of an item is not a shared type');
      }
      if (!found.local) {
        return {
          place: { container: this.containerOfType(parentItem.content.type), key: item.parentSub },
        };
      }
      const container = this.newContainer(parentItem);
      if (container === null) return { needs: parentItem };
      return { place: { container, key: item.parentSub } };
    }
    const left = item.origin ? this.find(item.origin) : null;
    const right = item.rightOrigin ? this.find(item.rightOrigin) : null;
    if ((item.origin && !left) || (item.rightOrigin && !right)) {
      throw new Refused('gap', 'the update is placed next to an edit the server does not have');
    }
    // As Yjs does: a garbage-collected neighbour makes the new item garbage too.
    if (left?.struct instanceof Y.GC || right?.struct instanceof Y.GC) return { place: 'void' };
    const neighbour = left ?? right;
    if (!neighbour) throw new Refused('malformed', 'an item without a parent or neighbour');
    return this.placeAfterNeighbour(neighbour.struct as Y.Item, neighbour.local);
  }

  private placeAfterNeighbour(neighbour: Y.Item, local: boolean): { place: Place } | { needs: Y.Item } {
    if (!local) {
      const parent = neighbour.parent;
      if (!(parent instanceof Y.AbstractType)) return { place: 'void' };
      return { place: { container: this.containerOfType(parent), key: neighbour.parentSub } };
    }
    const place = this.places.get(neighbour);
    if (place === undefined) return { needs: neighbour };
    return { place };
  }

  /** The container a new type item creates; null until that item's own place is known. */
  private newContainer(item: Y.Item): Container | null {
    const known = this.newContainers.get(item);
    if (known) return known;
    const place = this.places.get(item);
    if (place === undefined) return null;
    const type = (item.content as Y.ContentType).type;
    const container: Container =
      place === 'void'
        ? { role: 'invalid', isNew: true, type: null, item, parent: null, key: null }
        : {
            role: childRole(place.container.role, place.key, typeKind(type)),
            isNew: true,
            type: null,
            item,
            parent: place.container,
            key: place.key,
          };
    this.newContainers.set(item, container);
    return container;
  }

  // ---- the schema ------------------------------------------------------------------------------

  private checkItem(item: Y.Item, offset: number): void {
    const place = this.placeOf(item, offset);
    if (place === 'void') return;
    const { container, key } = place;
    const content = item.content;
    const deletedInUpdate = deletedOverlap(
      this.decoded.ds,
      item.id.client,
      item.id.clock + offset,
      item.length - offset,
    );
    const liveLength = item.length - offset - deletedInUpdate;
    switch (container.role) {
      case 'meta':
      case 'decision':
      case 'option':
      case 'criterion': {
        if (key === null) throw new Refused('schema', `${container.role} takes keys, not a list`);
        const rule = RULES[container.role]![key];
        if (!rule || !Object.hasOwn(RULES[container.role]!, key)) {
          throw new Refused('schema', `${container.role} has no key "${key.slice(0, 40)}"`);
        }
        if (rule.writer === 'server')
          throw new Refused('schema', `${container.role}.${key} is written by the server`);
        if (rule.writer === 'create' && !container.isNew) {
          throw new Refused('schema', `${container.role}.${key} cannot change`);
        }
        if (rule.structure && this.ctx.structureFrozen) {
          throw new Refused('frozen', 'weights cannot change now');
        }
        if (container.role === 'option' || container.role === 'criterion') this.structural = true;
        this.checkMapValue(container, key, rule, content, offset);
        return;
      }
      case 'options':
      case 'criteria': {
        if (key !== null) throw new Refused('schema', `${container.role} is a list`);
        if (this.ctx.structureFrozen) throw new Refused('frozen', `${container.role} cannot change now`);
        this.structural = true;
        if (content instanceof Y.ContentDeleted) return;
        if (!(content instanceof Y.ContentType) || typeKind(content.type) !== 'map') {
          throw new Refused('schema', `${container.role} holds maps only`);
        }
        this.inserted.set(container, (this.inserted.get(container) ?? 0) + liveLength);
        this.newElements.push({
          item,
          role: container.role === 'options' ? 'option' : 'criterion',
          list: container.type,
        });
        return;
      }
      case 'evidence': {
        if (key !== null) throw new Refused('schema', 'evidence is a list');
        // Evidence is added by the server (evidence:add). A browser may only re-create a
        // criterion with its sealed evidence (a move), never add to an existing list.
        if (!container.isNew) throw new Refused('schema', 'evidence is added with the evidence:add command');
        if (content instanceof Y.ContentDeleted) return;
        if (!(content instanceof Y.ContentAny))
          throw new Refused('schema', 'evidence entries are plain values');
        for (const value of content.arr.slice(offset)) {
          this.sealsToCheck.push({ container, kind: 'evidence', value });
        }
        return;
      }
      case 'notes':
      case 'question':
      case 'description': {
        if (key !== null) throw new Refused('schema', `the ${container.role} is text`);
        if (content instanceof Y.ContentDeleted) return;
        if (!(content instanceof Y.ContentString)) {
          throw new Refused('schema', `the ${container.role} is plain text (no formatting, embeds or types)`);
        }
        if (container.role !== 'notes' && !isSafeText(content.str)) {
          throw new Refused('schema', `the ${container.role} holds control or invisible characters`);
        }
        this.inserted.set(container, (this.inserted.get(container) ?? 0) + liveLength);
        return;
      }
      case 'sources':
      case 'history':
      case 'removedCriteria':
        throw new Refused('schema', `${container.role} is written by the server`);
      case 'invalid':
        throw new Refused('schema', 'the update writes outside the board schema');
    }
  }

  private checkMapValue(
    container: Container,
    key: string,
    rule: KeyRule,
    content: Content,
    offset: number,
  ): void {
    if (content instanceof Y.ContentDeleted) {
      if (rule.writer === 'create') this.recordNewMapValue(container, key, undefined);
      return;
    }
    if (rule.value.kind === 'evidenceArray') {
      if (!(content instanceof Y.ContentType) || typeKind(content.type) !== 'array') {
        throw new Refused('schema', `${container.role}.${key} must be a list`);
      }
      this.recordNewMapValue(container, key, content.type);
      return;
    }
    if (rule.value.kind === 'sharedText') {
      // Its characters are items of their own, checked (and counted) as text of that type.
      if (!(content instanceof Y.ContentType) || typeKind(content.type) !== 'text') {
        throw new Refused('schema', `${container.role}.${key} must be shared text (a Y.Text)`);
      }
      this.recordNewMapValue(container, key, content.type);
      return;
    }
    if (!(content instanceof Y.ContentAny)) {
      throw new Refused('schema', `${container.role}.${key} must be a plain value`);
    }
    for (const value of content.arr.slice(offset)) {
      if (rule.value.kind === 'sealedOrNull' && value !== null) {
        this.sealsToCheck.push({ container, kind: 'contested', value });
      } else {
        const problem = valueProblem(rule.value, value);
        if (problem) throw new Refused('schema', `${container.role}.${key} ${problem}`);
      }
      this.recordNewMapValue(container, key, value);
    }
  }

  private recordNewMapValue(container: Container, key: string, value: unknown): void {
    if (!container.isNew) return;
    let values = this.newMapValues.get(container);
    if (!values) {
      values = new Map();
      this.newMapValues.set(container, values);
    }
    values.set(key, value);
  }

  /** Options and criteria created by the update carry an id (the schema checked its form). */
  private checkNewMaps(): void {
    const taken = new Map<SharedType | null, Set<string>>();
    for (const { item, role, list } of this.newElements) {
      const container = this.newContainers.get(item);
      const id = container && this.newMapValues.get(container)?.get('id');
      if (typeof id !== 'string') throw new Refused('schema', `a new ${role} needs an id`);
      // Ids are unique among what stays: a move deletes the original in the same update.
      let ids = taken.get(list);
      if (!ids) {
        ids = this.remainingIds(list);
        taken.set(list, ids);
      }
      if (ids.has(id))
        throw new Refused(
          'schema',
          `there is already ${role === 'option' ? 'an' : 'a'} ${role} with the id "${id}"`,
        );
      ids.add(id);
    }
  }

  /** Ids of the maps of a list that are live and not deleted by this update. */
  private remainingIds(list: SharedType | null): Set<string> {
    const ids = new Set<string>();
    for (let item = list?._start ?? null; item !== null; item = item.right) {
      if (item.deleted || Y.isDeleted(this.decoded.ds, item.id)) continue;
      if (!(item.content instanceof Y.ContentType) || !(item.content.type instanceof Y.Map)) continue;
      const id = item.content.type.get('id');
      if (typeof id === 'string') ids.add(id);
    }
    return ids;
  }

  /** The id of the criterion a container belongs to (for seal scopes). */
  private criterionIdOf(container: Container): string | null {
    let c: Container | null = container;
    while (c && c.role !== 'criterion') c = c.parent;
    if (!c) return null;
    if (c.isNew) {
      const id = this.newMapValues.get(c)?.get('id');
      return typeof id === 'string' ? id : null;
    }
    const id = c.type instanceof Y.Map ? c.type.get('id') : null;
    return typeof id === 'string' ? id : null;
  }

  private checkSeals(): void {
    for (const { container, kind, value } of this.sealsToCheck) {
      const criterionId = this.criterionIdOf(container);
      if (criterionId === null) throw new Refused('schema', `${kind} outside a criterion`);
      const scope = kind === 'evidence' ? evidenceSealScope(criterionId) : contestedSealScope(criterionId);
      if (!this.ctx.verifySealed(scope, value)) {
        throw new Refused('schema', `${kind} is written by the server (its seal does not match)`);
      }
    }
  }

  // ---- deletions ---------------------------------------------------------------------------------

  private checkDeletions(): void {
    for (const [client, ranges] of this.decoded.ds.clients) {
      const state = this.state(client);
      const localStructs = this.local.get(client);
      const localEnd = localStructs
        ? localStructs[localStructs.length - 1]!.id.clock + localStructs[localStructs.length - 1]!.length
        : 0;
      for (const { clock, len } of ranges) {
        const end = clock + len;
        if (end > Math.max(state, localEnd)) {
          throw new Refused('gap', 'the update deletes edits the server does not have');
        }
        const to = Math.min(end, state);
        if (clock >= to) continue;
        const structs = this.store.clients.get(client);
        if (!structs) continue;
        for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
          const s = structs[i]!;
          if (s.id.clock >= to) break;
          if (!(s instanceof Y.Item) || s.deleted) continue;
          const overlap = Math.min(to, s.id.clock + s.length) - Math.max(clock, s.id.clock);
          this.checkDeletion(s, overlap);
        }
      }
    }
  }

  /** True when the type's item (or an ancestor's) is deleted already or by this update. */
  private containerGoes(container: Container): boolean {
    for (let c: Container | null = container; c; c = c.parent) {
      const item = c.type?._item ?? null;
      if (item && (item.deleted || Y.isDeleted(this.decoded.ds, item.id))) return true;
    }
    return false;
  }

  private checkDeletion(item: Y.Item, count: number): void {
    if (!(item.parent instanceof Y.AbstractType)) return;
    const container = this.containerOfType(item.parent);
    if (this.containerGoes(container)) return;
    const key = item.parentSub;
    switch (container.role) {
      case 'meta':
      case 'decision':
      case 'option':
      case 'criterion': {
        const rules = RULES[container.role]!;
        if (key === null || !Object.hasOwn(rules, key)) return; // junk may be cleaned up
        const rule = rules[key]!;
        if (rule.writer === 'server')
          throw new Refused('schema', `${container.role}.${key} is written by the server`);
        if (rule.writer === 'create')
          throw new Refused('schema', `${container.role}.${key} cannot be removed`);
        if (rule.structure && this.ctx.structureFrozen)
          throw new Refused('frozen', 'weights cannot change now');
        if (container.role === 'option' || container.role === 'criterion') this.structural = true;
        return;
      }
      case 'options':
      case 'criteria':
        if (this.ctx.structureFrozen) throw new Refused('frozen', `${container.role} cannot change now`);
        this.structural = true;
        if (item.countable) this.deletedLive.set(container, (this.deletedLive.get(container) ?? 0) + count);
        return;
      case 'notes':
      case 'question':
      case 'description':
        if (item.countable) this.deletedLive.set(container, (this.deletedLive.get(container) ?? 0) + count);
        return;
      case 'evidence':
        throw new Refused('schema', 'evidence cannot be removed');
      case 'sources':
      case 'history':
      case 'removedCriteria':
        throw new Refused('schema', `${container.role} is written by the server`);
      case 'invalid':
        return;
    }
  }

  // ---- limits ---------------------------------------------------------------------------------

  private checkCounts(): void {
    for (const [container, added] of this.inserted) {
      if (added <= 0 || container.role === 'invalid') continue;
      // `_length` (live, countable content) is kept by every list-like type, even a root the
      // server has not read yet and which is still a plain AbstractType.
      const current = container.type?._length ?? 0;
      const after = current + added - (this.deletedLive.get(container) ?? 0);
      if (container.role === 'description') {
        const rule = container.parent ? sharedTextRule(container.parent.role, container.key) : null;
        if (rule && after > rule.max) {
          throw new Refused('schema', `a ${container.key} holds at most ${rule.max} characters`);
        }
        continue;
      }
      const root = ROOTS[container.role as 'options' | 'criteria' | 'notes' | 'question'];
      if (after > root.max) {
        const what =
          container.role === 'notes'
            ? 'characters of notes'
            : container.role === 'question'
              ? 'characters of question'
              : container.role;
        throw new Refused('schema', `a board holds at most ${root.max} ${what}`);
      }
    }
  }
}
