/** A y-websocket update message: [sync=0][update=2][varint length][update bytes]. */
export function updateMessage(update: Uint8Array): Buffer {
  const len: number[] = [];
  let n = update.length;
  while (n > 127) {
    len.push((n & 127) | 128);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0, 2]), Buffer.from(len), Buffer.from(update)]);
}
