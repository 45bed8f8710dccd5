import type { BoardStore } from '@/server/storage/types';

type Method = {
  [K in keyof BoardStore]: BoardStore[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof BoardStore];

interface Gate {
  promise: Promise<void>;
  release(): void;
}

/**
 * The real store (SQLite on a real file) with a test's hand on it: a call to a held method
 * waits until the test releases it; a failed method rejects once. This is how tests drive
 * the order of commit, relay, sync reply and `doc:saved`, and what happens when a write
 * fails, step by step instead of hoping the timing hits it.
 */
export class HeldStore {
  readonly store: BoardStore;
  private readonly gates = new Map<Method, Gate>();
  private readonly failures = new Map<Method, Error[]>();
  private readonly waiting = new Map<Method, number>();
  private readonly calls = new Map<Method, number>();

  constructor(private readonly inner: BoardStore) {
    this.store = new Proxy(inner, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const method = prop as Method;
        return async (...args: unknown[]) => {
          this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
          const gate = this.gates.get(method);
          if (gate) {
            this.waiting.set(method, (this.waiting.get(method) ?? 0) + 1);
            try {
              await gate.promise;
            } finally {
              this.waiting.set(method, (this.waiting.get(method) ?? 1) - 1);
            }
          }
          const failure = this.failures.get(method)?.shift();
          if (failure) throw failure;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
  }

  /** Calls to `method` wait from now until `release(method)`. */
  hold(method: Method): void {
    if (this.gates.has(method)) return;
    let release!: () => void;
    const promise = new Promise<void>((r) => {
      release = r;
    });
    this.gates.set(method, { promise, release });
  }

  /** Lets every held call of `method` through, and later ones run at once. */
  release(method: Method): void {
    const gate = this.gates.get(method);
    this.gates.delete(method);
    gate?.release();
  }

  /** The next call of `method` rejects with `error` (after any hold) and writes nothing. */
  failNext(method: Method, error = new Error(`${method} failed (test)`)): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  /** How many calls of `method` are waiting at the gate now. */
  waitingOn(method: Method): number {
    return this.waiting.get(method) ?? 0;
  }

  callsOf(method: Method): number {
    return this.calls.get(method) ?? 0;
  }

  /** The store underneath, for reading what is really stored. */
  get real(): BoardStore {
    return this.inner;
  }
}
