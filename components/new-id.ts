/**
 * A random id for new options, criteria and evidence. Uses getRandomValues, which (unlike
 * randomUUID) also works on plain-http LAN addresses, common in workshops.
 */
export function newId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
