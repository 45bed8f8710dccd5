'use client';

import { startTransition, useEffect, useMemo, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type {
  ClientToServerEvents,
  DocSavedPayload,
  JoinPayload,
  JoinResult,
  Result,
  ServerToClientEvents,
  SessionState,
} from '@/lib/protocol';
import { ERROR_CODES, EVENTS, PROTOCOL_VERSION, YJS_CLOSE } from '@/lib/protocol-constants';
import { applyWirePatch } from '@/lib/session-patch';
import { type Credentials, localStore } from './local-store';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';
/** "saved" only when the server has acknowledged (committed) every local edit. */
export type SaveStatus = 'saved' | 'saving' | 'unsaved-offline';

export type BoardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The session state each socket has reconstructed (join state plus the patches since), read
 * by `useCommands` to answer a command with the state it produced: the patch of a command
 * arrives before its acknowledgement.
 */
export const sessionMirrors = new WeakMap<BoardSocket, { state: SessionState | null }>();

export type JoinTarget =
  | { as: 'participant'; boardId: string; name: string; facilitatorKey: string | null }
  | { as: 'viewer'; viewerKey: string };

export interface BoardConnection {
  doc: Y.Doc;
  socket: BoardSocket | null;
  connection: ConnectionStatus;
  save: SaveStatus;
  session: SessionState | null;
  joinError: string | null;
  /** False until the document has synced with the server (or loaded from this browser). */
  docReady: boolean;
  /** The document connection's awareness (who is doing what, not stored), once it is open. */
  awareness: WebsocketProvider['awareness'] | null;
  /** Something the person must know about the document (a change the server refused). */
  docNotice: string | null;
  dismissDocNotice(): void;
}

/** Keeps, per Yjs client id, the highest of the clocks seen in `clocks`. */
function mergeClocks(into: Map<number, number>, clocks: Iterable<[number, number]>): boolean {
  let changed = false;
  for (const [client, clock] of clocks) {
    if (clock > (into.get(client) ?? 0)) {
      into.set(client, clock);
      changed = true;
    }
  }
  return changed;
}

/**
 * True when the server has committed everything this document holds: every Yjs client id
 * of the local state vector, including ids of earlier visits whose offline edits this
 * browser kept, is covered by what the server reported as committed.
 */
function allCommitted(doc: Y.Doc, committed: Map<number, number>): boolean {
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    if (clock > (committed.get(client) ?? 0)) return false;
  }
  return true;
}

/** Why the server refused a document change, in words for the person who made it. */
function refusalNotice(code: number, reason: string): string | null {
  switch (code) {
    case YJS_CLOSE.UPDATE_REFUSED:
      return `A change could not be saved (${reason || 'the board does not allow it'}). The board was reloaded from the server.`;
    case YJS_CLOSE.BOARD_TOO_BIG:
      return 'The board is full: the last change could not be saved. The board was reloaded from the server.';
    default:
      return null;
  }
}

/**
 * Connects one board: the shared document over the standard y-websocket provider (with an
 * IndexedDB copy for offline work) and the session channel over Socket.IO.
 */
export function useBoardConnection(target: JoinTarget | null): BoardConnection {
  const room = target ? (target.as === 'viewer' ? target.viewerKey : target.boardId) : null;
  /** Bumped to start over from the server's copy after it refused a change of ours. */
  const [generation, setGeneration] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new document per room (and generation), on purpose
  const doc = useMemo(() => new Y.Doc(), [room, generation]);
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const [docNotice, setDocNotice] = useState<string | null>(null);
  const [removed, setRemoved] = useState(false);
  const [wsConnected, setWsConnected] = useState(false);
  const [socketConnected, setSocketConnected] = useState(false);
  const [everConnected, setEverConnected] = useState(false);
  const [online, setOnline] = useState(true);
  const [session, setSession] = useState<SessionState | null>(null);
  const [joinError, setJoinError] = useState<string | null>(null);
  const [docReady, setDocReady] = useState(false);
  const [socket, setSocket] = useState<BoardSocket | null>(null);
  /** What the server reported as committed, and what it relayed (only committed state is). */
  // biome-ignore lint/correctness/useExhaustiveDependencies: one record per document, on purpose
  const committed = useMemo(() => new Map<number, number>(), [doc]);
  /** Unknown (so not "saved") until this browser's copy of the document has loaded. */
  const [saved, setSaved] = useState(false);

  // `target` is rebuilt on every render; re-join only when what it says changes.
  const targetKey = JSON.stringify(target);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the serialized target
  const stableTarget = useMemo(() => target, [targetKey]);

  // A participant's browser keeps the credentials of its first join; they open the document.
  const participantBoard = target?.as === 'participant' ? target.boardId : null;
  useEffect(() => {
    setCredentials(participantBoard ? localStore.credentials(participantBoard) : null);
  }, [participantBoard]);
  const credentialsKey = credentials ? `${credentials.participantId}:${credentials.token}` : null;

  // Each document lives until it is replaced (a new room or a fresh start).
  useEffect(() => () => doc.destroy(), [doc]);

  // This browser's copy first (instant, offline): IndexedDB. Whatever the document receives,
  // from there, from the person or from the server, the saved state is computed again.
  const persistence = useRef<IndexeddbPersistence | null>(null);
  const provider = useRef<WebsocketProvider | null>(null);
  const [awareness, setAwareness] = useState<WebsocketProvider['awareness'] | null>(null);
  useEffect(() => {
    if (!room) return;
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      // What the server relays or answers with is committed already.
      if (origin !== null && origin === provider.current) {
        mergeClocks(committed, Y.parseUpdateMeta(update).to);
      }
      setSaved(allCommitted(doc, committed));
    };
    doc.on('update', onUpdate);
    const p = new IndexeddbPersistence(`decision-board:${room}`, doc);
    persistence.current = p;
    p.once('synced', () => {
      setSaved(allCommitted(doc, committed));
      // An empty copy (a first visit) is not the board: wait for the server rather than draw an
      // empty board that the sync then pushes down the page.
      if (Y.encodeStateVector(doc).length > 1) setDocReady(true);
    });
    return () => {
      doc.off('update', onUpdate);
      persistence.current = null;
      void p.destroy();
    };
  }, [room, doc, committed]);

  // Then the server. A participant's connection carries its credentials, so it opens once
  // this browser has joined the board (first visit) or right away (it has them).
  // biome-ignore lint/correctness/useExhaustiveDependencies: credentials are keyed by credentialsKey
  useEffect(() => {
    if (!room || !target) return;
    const canOpen = target.as === 'viewer' || credentials !== null;
    if (!canOpen) return;
    const params: Record<string, string> =
      target.as === 'participant' && credentials
        ? { participant: credentials.participantId, token: credentials.token }
        : {};
    const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/yjs`;
    const ws = new WebsocketProvider(wsUrl, room, doc, { maxBackoffTime: 5000, params });
    provider.current = ws;
    setAwareness(ws.awareness);
    ws.on('status', ({ status }: { status: string }) => {
      setWsConnected(status === 'connected');
    });
    ws.on('sync', (synced: boolean) => {
      if (synced) setDocReady(true);
    });
    // Final refusals (4400–4499): the provider stops reconnecting and tells us why.
    ws.on('closed', ({ code, reason }: { code: number; reason: string }) => {
      const notice = refusalNotice(code, reason);
      if (notice) {
        // Our copy holds a change the server will never take: start over from the server's.
        setDocNotice(notice);
        const clearing = persistence.current?.clearData() ?? Promise.resolve();
        void clearing.finally(() => setGeneration((g) => g + 1));
      } else if (code === YJS_CLOSE.FORBIDDEN) setRemoved(true);
      else if (code === YJS_CLOSE.CREDENTIALS_REQUIRED && target.as === 'participant') {
        // Stale credentials: forget them; the session channel joins again and brings new ones.
        localStore.forgetCredentials(target.boardId);
        setCredentials(null);
      }
    });
    return () => {
      provider.current = null;
      setAwareness(null);
      ws.destroy();
      setWsConnected(false);
    };
  }, [room, doc, credentialsKey]);

  // The session channel. It outlives a fresh start of the document, hence the refs.
  const docRef = useRef(doc);
  docRef.current = doc;
  const committedRef = useRef(committed);
  committedRef.current = committed;
  useEffect(() => {
    const target = stableTarget;
    if (!target) return;
    const s: BoardSocket = io({ transports: ['websocket'], reconnectionDelayMax: 5000 });
    const mirror: { state: SessionState | null } = { state: null };
    sessionMirrors.set(s, mirror);
    /** Every change of the session state goes through here: the join state, then patches. */
    const show = (state: SessionState | null) => {
      mirror.state = state;
      // A transition: on a big board re-rendering for a patch (mostly others' progress) must
      // not hold up this person's own typing and clicking, which React handles first.
      startTransition(() => setSession(state));
    };
    setSocket(s);
    let retry: ReturnType<typeof setTimeout> | undefined;
    const join = () => {
      clearTimeout(retry);
      let payload: JoinPayload;
      if (target.as === 'viewer') {
        payload = { as: 'viewer', viewerKey: target.viewerKey, protocolVersion: PROTOCOL_VERSION };
      } else {
        const cred = localStore.credentials(target.boardId);
        payload = {
          as: 'participant',
          boardId: target.boardId,
          name: target.name,
          protocolVersion: PROTOCOL_VERSION,
          ...(cred ? { participantId: cred.participantId, token: cred.token } : {}),
          ...(target.facilitatorKey ? { facilitatorKey: target.facilitatorKey } : {}),
        };
      }
      s.emit(EVENTS.boardJoin, payload, (result: Result<JoinResult>) => {
        if (result.ok) {
          setJoinError(null);
          show(result.data.state);
          if (result.data.credentials && target.as === 'participant') {
            localStore.setCredentials(target.boardId, result.data.credentials);
            setCredentials(result.data.credentials);
          }
        } else if (
          result.error.code === ERROR_CODES.BAD_TOKEN &&
          target.as === 'participant' &&
          localStore.credentials(target.boardId)
        ) {
          // Stale credentials (e.g. the board was recreated): join as a new participant.
          localStore.forgetCredentials(target.boardId);
          join();
        } else if (
          result.error.code === ERROR_CODES.RATE_LIMITED &&
          result.error.retryAfterMs !== undefined
        ) {
          // A crowd joining from one network: wait as told, then try again by itself.
          setJoinError(`${result.error.message}; retrying automatically`);
          retry = setTimeout(() => {
            if (s.connected) join();
          }, result.error.retryAfterMs);
        } else {
          setJoinError(result.error.message);
        }
      });
    };
    s.on('connect', () => {
      setSocketConnected(true);
      join();
    });
    s.on('disconnect', () => {
      setSocketConnected(false);
      // Patches are relative to what this connection received; a new one joins afresh.
      mirror.state = null;
    });
    s.on(EVENTS.sessionState, (state) => show(state));
    s.on(EVENTS.sessionPatch, (patch) => {
      if (mirror.state) show(applyWirePatch(mirror.state, patch));
    });
    s.on(EVENTS.docSaved, (payload: DocSavedPayload) => {
      const clocks = Object.entries(payload.stateVector).map(([c, k]) => [Number(c), k] as [number, number]);
      if (mergeClocks(committedRef.current, clocks))
        setSaved(allCommitted(docRef.current, committedRef.current));
    });
    return () => {
      clearTimeout(retry);
      s.disconnect();
      setSocket(null);
      setSession(null);
    };
  }, [stableTarget]);

  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    update();
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);

  // The browser knows it is offline before any heartbeat fails: close both channels at once
  // (nothing sent now could arrive) and open them again when it is back.
  useEffect(() => {
    if (!socket) return;
    const goOffline = () => {
      socket.disconnect();
      provider.current?.disconnect();
    };
    const goOnline = () => {
      socket.connect();
      provider.current?.connect();
    };
    window.addEventListener('offline', goOffline);
    window.addEventListener('online', goOnline);
    return () => {
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
    };
  }, [socket]);

  const connected = wsConnected && socketConnected;
  // "Reconnecting" only after both channels were up once: the first join, where one channel
  // opens before the other, is still "Connecting".
  useEffect(() => {
    if (connected) setEverConnected(true);
  }, [connected]);
  // Offline first: a socket not yet closed must not make an offline device say "Connected".
  const connection: ConnectionStatus = !online
    ? 'offline'
    : connected
      ? 'connected'
      : everConnected
        ? 'reconnecting'
        : 'connecting';
  // Before the first connection nothing says the copy is stuck offline: "Saving…", not an alarm.
  const save: SaveStatus = saved
    ? 'saved'
    : online && (connected || connection === 'connecting')
      ? 'saving'
      : 'unsaved-offline';

  return {
    doc,
    socket,
    connection,
    save,
    session,
    joinError: removed ? 'The facilitator removed you from this board.' : joinError,
    docReady,
    awareness,
    docNotice,
    dismissDocNotice: () => setDocNotice(null),
  };
}
