import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from '@/server/storage/postgres-store';

/**
 * Suites that need a real Postgres (and Redis) read these; `.ci/run` sets both. Without them
 * the suites are skipped, and say so once per file.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? '';

/** Prints why a suite is skipped (describe.skipIf alone is silent about the reason). */
export function explainSkip(suite: string, needs: ('TEST_DATABASE_URL' | 'TEST_REDIS_URL')[]): boolean {
  const missing = needs.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    console.log(
      `${suite}: skipped, ${missing.join(' and ')} not set (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test TEST_REDIS_URL=redis://127.0.0.1:6379; .ci/run sets both)`,
    );
  }
  return missing.length > 0;
}

/** Runs one statement on its own connection (schema setup and teardown). */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A freshly created, empty schema of its own: parallel test files never see each other's
 * tables. `drop()` removes it and everything in it.
 */
export async function freshSchema(): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE SCHEMA ${name}`);
  return { name, drop: () => admin(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}

/** A PostgresStore on the test database in `schema` (migrated on open). */
export function openTestStore(schema: string): Promise<PostgresStore> {
  return PostgresStore.open({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, lockPoolSize: 4 });
}

/** The database URL a server process uses to work in `schema` (libpq's `options` parameter). */
export function databaseUrlFor(schema: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
