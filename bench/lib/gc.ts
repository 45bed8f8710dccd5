import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

/**
 * A full garbage collection of this process, between measurement windows: the bench holds
 * ~1,500 Y.Docs, and a major GC of that heap pauses it for hundreds of milliseconds, which
 * would otherwise land in whichever server's window it happens to hit. `npm run bench` runs
 * without --expose-gc, so the flag is turned on at run time.
 */
export function fullGc(): void {
  if (gcFn === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFn = exposed;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = (vm.runInNewContext('gc') as (() => void) | undefined) ?? null;
    }
  }
  gcFn?.();
}
