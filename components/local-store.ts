/**
 * What this browser remembers, in localStorage: the display name (for every board), and
 * per board the participant credentials and the facilitator key. Wrapped so a browser
 * with storage disabled still works (it just forgets).
 */
const PREFIX = 'decision-board:';

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    window.localStorage.setItem(PREFIX + key, value);
  } catch {
    // storage full or disabled: nothing to do
  }
}

export interface Credentials {
  participantId: string;
  token: string;
}

export const localStore = {
  displayName: () => read('name'),
  setDisplayName: (name: string) => write('name', name),
  credentials(boardId: string): Credentials | null {
    const raw = read(`cred:${boardId}`);
    if (!raw) return null;
    try {
      const c = JSON.parse(raw) as Credentials;
      return typeof c.participantId === 'string' && typeof c.token === 'string' ? c : null;
    } catch {
      return null;
    }
  },
  setCredentials: (boardId: string, c: Credentials) => write(`cred:${boardId}`, JSON.stringify(c)),
  forgetCredentials(boardId: string): void {
    try {
      window.localStorage.removeItem(`${PREFIX}cred:${boardId}`);
    } catch {
      // ignore
    }
  },
  facilitatorKey: (boardId: string) => read(`fkey:${boardId}`),
  setFacilitatorKey: (boardId: string, key: string) => write(`fkey:${boardId}`, key),
};
