/** Types of mutation-groups.mjs (plain JavaScript, so that stryker.config.mjs can import it). */
export declare const MUTATION_GROUPS: Record<
  'consensus' | 'record' | 'guard' | 'storage' | 'room' | 'session',
  { mutate: string[]; tests: string[] }
>;
