// Checks that Postgres and Redis answer (used by .ci/run before the tests that need them).
// Usage: node scripts/check-services.mjs <postgres-url> <redis-url>
import pg from 'pg';
import { createClient } from 'redis';

const [databaseUrl, redisUrl] = process.argv.slice(2);
const redacted = (url) => url.replace(/\/\/[^@/]*@/, '//…@');
let failed = false;

/** A fresh machine's Postgres may lack the test database: create it (3D000: no such database). */
async function connectCreating(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    if (err.code !== '3D000') throw err;
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: url.replace(/\/[^/?]*(\?|$)/, '/postgres$1') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`created the database ${name}`);
    } finally {
      await admin.end();
    }
    const again = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await again.connect();
    return again;
  }
}

let db = null;
try {
  db = await connectCreating(databaseUrl);
  await db.query('SELECT 1');
  console.log(`Postgres answers at ${redacted(databaseUrl)}`);
} catch (err) {
  failed = true;
  console.error(`Postgres does not answer at ${redacted(databaseUrl)}: ${err.message}`);
} finally {
  await db?.end().catch(() => {});
}

const redis = createClient({ url: redisUrl, socket: { connectTimeout: 5000, reconnectStrategy: false } });
redis.on('error', () => {});
try {
  await redis.connect();
  if ((await redis.ping()) !== 'PONG') throw new Error('no PONG');
  console.log(`Redis answers at ${redacted(redisUrl)}`);
} catch (err) {
  failed = true;
  console.error(`Redis does not answer at ${redacted(redisUrl)}: ${err.message}`);
} finally {
  await redis.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
