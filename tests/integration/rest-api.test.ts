import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '@/lib/limits';
import { TestEnv } from '../helpers/server';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.start();
});
afterAll(async () => {
  await env.cleanup();
});

async function post(body: string, contentType = 'application/json') {
  return fetch(`${env.url}/api/boards`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function boardCount(): Promise<number> {
  const rows = (env.server.store as unknown as { db: { prepare(s: string): { get(): { n: number } } } }).db
    .prepare('SELECT COUNT(*) AS n FROM boards')
    .get();
  return rows.n;
}

describe('REST API', () => {
  it('POST /api/boards creates a board from the default template with three unguessable links', async () => {
    const res = await post(JSON.stringify({ template: 'django-vs-node' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown> & { links: Record<string, string> };
    for (const key of ['id', 'facilitatorKey', 'viewerKey'] as const) {
      expect(body[key]).toMatch(/^[A-Za-z0-9_-]{22}$/); // 16 random bytes = 128 bits
    }
    expect(body.links.participant).toBe(`${env.url}/b/${body.id}`);
    expect(body.links.facilitator).toBe(`${env.url}/b/${body.id}#key=${body.facilitatorKey}`);
    expect(body.links.viewer).toBe(`${env.url}/v/${body.viewerKey}`);
    expect(body.links.viewer).not.toContain(String(body.id));

    const summary = await (await fetch(`${env.url}/api/boards/${body.id}`)).json();
    expect(summary.question).toBe('Which backend should we use: Django or Node.js?');
    expect(summary.options.map((o: { name: string }) => o.name)).toEqual(['Django', 'Node.js']);
    expect(summary.counts.criteria).toBe(12);
    expect(summary.criteria[0]).toMatchObject({ id: 'performance', name: 'Performance' });
    // The board's own editorial checks are counted apart from the articles' claims.
    const template = env.server.directory.templates.get('django-vs-node')!;
    const all = template.criteria.flatMap((c) => c.evidence);
    const checks = all.filter((e) => 'editorial' in e).length;
    type Row = { evidenceCount: number; editorialChecks: number };
    const rows = summary.criteria as Row[];
    expect(checks).toBeGreaterThan(0);
    expect(rows.reduce((n, c) => n + c.editorialChecks, 0)).toBe(checks);
    expect(rows.reduce((n, c) => n + c.evidenceCount, 0)).toBe(all.length - checks);
  });

  it('the blank template has two empty options and no criteria; a title can be given', async () => {
    const res = await post(JSON.stringify({ template: 'blank', title: 'Pick a queue' }));
    const { id } = await res.json();
    const summary = await (await fetch(`${env.url}/api/boards/${id}`)).json();
    expect(summary.title).toBe('Pick a queue');
    expect(summary.options).toHaveLength(2);
    expect(summary.options.every((o: { name: string }) => o.name === '')).toBe(true);
    expect(summary.counts.criteria).toBe(0);
  });

  it.each([
    ['malformed JSON', '{"template": ', 400, 'not valid JSON'],
    ['a wrong type', JSON.stringify({ template: 42 }), 400, 'template'],
    ['an unknown template', JSON.stringify({ template: 'cobol-vs-fortran' }), 400, 'unknown template'],
    ['an unknown field', JSON.stringify({ template: 'blank', admin: true }), 400, 'admin'],
    ['a missing template', JSON.stringify({}), 400, 'template'],
    [
      'an over-long title',
      JSON.stringify({ template: 'blank', title: 'x'.repeat(LIMITS.MAX_TITLE_CHARS + 1) }),
      400,
      'title',
    ],
    [
      'an oversized body',
      JSON.stringify({ template: 'blank', title: 'x'.repeat(LIMITS.MAX_HTTP_BODY_BYTES) }),
      413,
      'at most',
    ],
  ])(
    '%s gets a 4xx JSON error naming the problem and stores nothing',
    async (_what, body, status, message) => {
      const before = await boardCount();
      const res = await post(body);
      expect(res.status).toBe(status);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.message).toContain(message);
      expect(await boardCount()).toBe(before);
    },
  );

  it('a non-JSON content type is refused with 415', async () => {
    const res = await post('template=blank', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
  });

  it('an unknown board is a 404 JSON error', async () => {
    const res = await fetch(`${env.url}/api/boards/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
    expect((await fetch(`${env.url}/api/boards/..%2F..%2Fetc`)).status).toBe(404);
  });

  it('GET /healthz answers 200 JSON', async () => {
    const res = await fetch(`${env.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect((await res.json()).status).toBe('ok');
  });
});
