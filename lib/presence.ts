/**
 * How fast the session channel notices a person who vanished (a phone that lost its Wi-Fi sends
 * no close frame). Socket.IO's defaults (25 s + 20 s) left the facilitator seeing a gone person
 * as present for ~45 s; these bound it to `AWAY_WITHIN_MS`. The same heartbeat tells the browser
 * that the server is gone, so its "Reconnecting…" shows within the same bound.
 */
export const SESSION_PING_INTERVAL_MS = 4_000;
/** How long the server waits for the pong of a ping before it drops the connection. */
export const SESSION_PING_TIMEOUT_MS = 4_000;
/** A silent connection is dropped (and its person shown away) within this. */
export const AWAY_WITHIN_MS = SESSION_PING_INTERVAL_MS + SESSION_PING_TIMEOUT_MS;
