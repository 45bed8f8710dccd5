'use client';

import { useEffect, useMemo, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import {
  type ClientToServerEvents,
  type DocSavedPayload,
  ERROR_CODES,
  EVENTS,
  type JoinPayload,
  type JoinResult,
  PROTOCOL_VERSION,
  type Result,
  type ServerToClientEvents,
  type SessionState,
} from '@/lib/protocol';
import { localStore } from './local-store';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';
/** "saved" only when the server has acknowledged (committed) every local edit. */
export type SaveStatus = 'saved' | 'saving' | 'unsaved-offline';

export type BoardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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
}

/** This client's own edits: its clock in the document's state vector. */
function localClock(doc: Y.Doc): number {
  return Y.decodeStateVector(Y.encodeStateVector(doc)).get(doc.clientID) ?? 0;
}

/**
 * Connects one board: the shared document over the standard y-websocket provider (with an
 * IndexedDB copy for offline work) and the session channel over Socket.IO.
 */
export function useBoardConnection(target: JoinTarget | null): BoardConnection {
  const room = target ? (target.as === 'viewer' ? target.viewerKey : target.boardId) : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new document per room, on purpose
  const doc = useMemo(() => new Y.Doc(), [room]);
  const [wsConnected, setWsConnected] = useState(false);
  const [socketConnected, setSocketConnected] = useState(false);
  const [everConnected, setEverConnected] = useState(false);
  const [online, setOnline] = useState(true);
  const [session, setSession] = useState<SessionState | null>(null);
  const [joinError, setJoinError] = useState<string | null>(null);
  const [docReady, setDocReady] = useState(false);
  const [socket, setSocket] = useState<BoardSocket | null>(null);
  const [serverClock, setServerClock] = useState(0);
  const [clock, setClock] = useState(0);

  // `target` is rebuilt on every render; re-join only when what it says changes.
  const targetKey = JSON.stringify(target);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the serialized target
  const stableTarget = useMemo(() => target, [targetKey]);

  // The document: IndexedDB first (instant, offline), then the server.
  useEffect(() => {
    if (!room) return;
    const persistence = new IndexeddbPersistence(`decision-board:${room}`, doc);
    persistence.once('synced', () => setDocReady(true));
    const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/yjs`;
    const provider = new WebsocketProvider(wsUrl, room, doc, { maxBackoffTime: 5000 });
    provider.on('status', ({ status }: { status: string }) => {
      setWsConnected(status === 'connected');
      if (status === 'connected') setEverConnected(true);
    });
    provider.on('sync', (synced: boolean) => {
      if (synced) setDocReady(true);
    });
    const onUpdate = () => setClock(localClock(doc));
    doc.on('update', onUpdate);
    return () => {
      doc.off('update', onUpdate);
      provider.destroy();
      void persistence.destroy();
      doc.destroy();
    };
  }, [room, doc]);

  // The session channel.
  useEffect(() => {
    const target = stableTarget;
    if (!target) return;
    const s: BoardSocket = io({ transports: ['websocket'], reconnectionDelayMax: 5000 });
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
          setSession(result.data.state);
          if (result.data.credentials && target.as === 'participant') {
            localStore.setCredentials(target.boardId, result.data.credentials);
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
      setEverConnected(true);
      join();
    });
    s.on('disconnect', () => setSocketConnected(false));
    s.on(EVENTS.sessionState, (state) => setSession(state));
    s.on(EVENTS.docSaved, (payload: DocSavedPayload) => {
      setServerClock(payload.stateVector[String(doc.clientID)] ?? 0);
    });
    return () => {
      clearTimeout(retry);
      s.disconnect();
      setSocket(null);
      setSession(null);
    };
  }, [stableTarget, doc]);

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

  const connected = wsConnected && socketConnected;
  const connection: ConnectionStatus = connected
    ? 'connected'
    : !online
      ? 'offline'
      : everConnected
        ? 'reconnecting'
        : 'connecting';
  const save: SaveStatus = clock <= serverClock ? 'saved' : connected ? 'saving' : 'unsaved-offline';

  return { doc, socket, connection, save, session, joinError, docReady };
}
