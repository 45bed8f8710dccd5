import type { Page } from '@playwright/test';
import { expect, joinAs, person, test } from './fixtures';

/** Records CSP violations as the page reports them (event and console), from its first script on. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on('console', (msg) => {
    if (/content security policy/i.test(msg.text())) fromConsole.push(msg.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(
        `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`,
      );
    });
  });
  return async () => [
    ...fromConsole,
    ...(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)),
  ];
}

function nonceOf(csp: string): string {
  return /'nonce-([^']+)'/.exec(csp)?.[1] ?? '';
}

test('[L10] pages carry a per-request nonce CSP and no-referrer, and a board works under it without a single violation', async ({
  browser,
  server,
}) => {
  const page = await person(browser);
  const violations = await watchViolations(page);

  const home = await page.goto(server.url);
  const headers = home?.headers() ?? {};
  const csp = headers['content-security-policy'] ?? '';
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/]{20,}={0,2}' 'strict-dynamic'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('unsafe-eval');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-content-type-options']).toBe('nosniff');
  // Next.js put the request's nonce on its scripts (the property: browsers hide the attribute).
  const nonces = await page
    .locator('script')
    .evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).nonce));
  expect(nonces.length).toBeGreaterThan(0);
  expect(nonces.every((n) => n === nonceOf(csp))).toBe(true);
  // A fresh nonce per request.
  const again = await page.request.get(server.url);
  expect(nonceOf(again.headers()['content-security-policy'] ?? '')).not.toBe(nonceOf(csp));

  // Everything a board needs still runs: hydration, Socket.IO, the /yjs WebSocket, saving.
  await page.getByRole('button', { name: 'New decision' }).click();
  await joinAs(page, 'Alice');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  const perf = page.getByTestId('criterion-performance');
  await perf.getByLabel('Criterion name').fill('Throughput');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-status', 'saved');
  const boardCsp = (await page.request.get(page.url())).headers()['content-security-policy'] ?? '';
  expect(boardCsp).toContain("frame-ancestors 'none'");
  expect(await violations()).toEqual([]);

  // The read-only viewer page as well.
  const viewerLink = await page.getByTestId('viewer-link').inputValue();
  const viewer = await person(browser);
  const viewerViolations = await watchViolations(viewer);
  await viewer.goto(viewerLink);
  await expect(viewer.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  await expect(viewer.getByText('Throughput').first()).toBeVisible();
  expect(await viewerViolations()).toEqual([]);
});
