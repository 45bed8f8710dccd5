import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/**
 * Hand-built Yjs v1 updates: shapes a Y.Doc never produces (a Skip, a cycle of origins, a
 * parent that is not a shared type, a GC neighbour) but a hostile client can send. Items are
 * real Y.Item objects written with Yjs's own struct encoders, so only the shape is crafted.
 */
export type CraftedStruct = Y.Item | Y.GC | Y.Skip;

/** Where an item goes: a root name or a type item's id (with a key for maps), or next to neighbours. */
export interface CraftedPlace {
  parent?: string | Y.ID;
  key?: string;
  origin?: Y.ID;
  rightOrigin?: Y.ID;
}

export function craftItem(
  client: number,
  clock: number,
  place: CraftedPlace,
  content: Y.Item['content'],
): Y.Item {
  return new Y.Item(
    Y.createID(client, clock),
    null,
    place.origin ?? null,
    null,
    place.rightOrigin ?? null,
    // Decoded items carry a root name or an id here, as these do; Yjs's types only name the
    // integrated form.
    (place.parent ?? null) as unknown as Y.ID | null,
    place.key ?? null,
    content,
  );
}

/** A deletion: `len` clocks of `client` from `clock`. */
export interface CraftedDeletion {
  client: number;
  clock: number;
  len: number;
}

/**
 * Encodes structs (each client's in clock order, without holes unless a Skip is given) and
 * deletions, in the order given (a hostile update need not sort them), as a v1 update.
 */
export function encodeCrafted(structs: CraftedStruct[], deletions: CraftedDeletion[] = []): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const byClient = new Map<number, CraftedStruct[]>();
  for (const s of structs) {
    const list = byClient.get(s.id.client);
    if (list) list.push(s);
    else byClient.set(s.id.client, [s]);
  }
  encoding.writeVarUint(encoder.restEncoder, byClient.size);
  for (const [client, list] of byClient) {
    encoding.writeVarUint(encoder.restEncoder, list.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, list[0]!.id.clock);
    for (const s of list) s.write(encoder, 0);
  }
  const ds = new Map<number, CraftedDeletion[]>();
  for (const d of deletions) {
    const list = ds.get(d.client);
    if (list) list.push(d);
    else ds.set(d.client, [d]);
  }
  encoding.writeVarUint(encoder.restEncoder, ds.size);
  for (const [client, ranges] of ds) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, ranges.length);
    for (const r of ranges) {
      encoder.writeDsClock(r.clock);
      encoder.writeDsLen(r.len);
    }
  }
  return encoder.toUint8Array();
}

/** The id of the item that holds `type` (a map in a list, a list under a key). */
export function itemIdOf(type: { _item: Y.Item | null }): Y.ID {
  const item = type._item;
  if (!item) throw new Error('a root type has no item');
  return item.id;
}
