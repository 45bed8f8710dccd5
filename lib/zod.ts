import { z } from 'zod';

/**
 * zod, configured for the browser too: without `jitless`, building an object schema probes
 * for eval with `Function('')`, which the UI's Content-Security-Policy (proxy.ts) refuses
 * and reports as a violation on every page load. Our payloads are small; the interpreter
 * is fast enough. Import `z` from here in every module the browser loads.
 */
z.config({ jitless: true });

export { z };
