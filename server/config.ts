import path from 'node:path';
import { z } from 'zod';

/** Environment variables, validated at start-up; a bad value stops the server with a message. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Base URL used in links (e.g. https://decide.example.com); default: the request's Host. */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  LOG_LEVEL: z.enum(['silent', 'info']).default('info'),
  /** 'false' serves only the API and sync endpoints, without the Next.js UI. */
  SERVE_UI: z.enum(['true', 'false']).default('true'),
});

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string | null;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** 'none' serves only the API and sync endpoints (integration tests). */
  ui: 'production' | 'development' | 'none';
  logLevel: 'silent' | 'info';
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    publicUrl: e.PUBLIC_URL ?? null,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    ui: e.SERVE_UI === 'false' ? 'none' : e.NODE_ENV === 'development' ? 'development' : 'production',
    logLevel: e.LOG_LEVEL,
  };
}
