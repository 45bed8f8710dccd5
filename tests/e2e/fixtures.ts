import fs from 'node:fs';
import { type Browser, test as base, type Page } from '@playwright/test';
import type { CreateBoardResponse } from '@/lib/protocol';
import { tempDataDir } from '../helpers/server';
import { freePort, type ServerProcess, startServerProcess } from '../helpers/server-process';

/** A real server process (UI included) with its own data directory, per test. */
export const test = base.extend<{ server: ServerProcess & { restart(): Promise<void>; dataDir: string } }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
  server: async ({}, use) => {
    const dataDir = tempDataDir();
    // A port the OS says is free; if another process takes it before the server listens
    // (EADDRINUSE on this shared machine), another one.
    let port = await freePort();
    const start = async (): Promise<ServerProcess> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startServerProcess({ port, dataDir, timeoutMs: 60_000 });
        } catch (err) {
          if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
          port = await freePort();
        }
      }
    };
    let proc = await start();
    const handle = {
      get url() {
        return proc.url;
      },
      get child() {
        return proc.child;
      },
      dataDir,
      output: () => proc.output(),
      kill9: () => proc.kill9(),
      stop: () => proc.stop(),
      async restart() {
        await proc.stop();
        proc = await startServerProcess({ port, dataDir, timeoutMs: 60_000 });
      },
    };
    await use(handle);
    await proc.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  },
});
export { expect } from '@playwright/test';

/** A fresh browser context (its own storage = another person) with a page. */
export async function person(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** Fills the display-name form when it is shown. */
export async function joinAs(page: Page, name: string): Promise<void> {
  await page.getByLabel('Your display name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
}

/** A new board of the default template, made through the REST API as a script would. */
export async function newBoard(serverUrl: string): Promise<CreateBoardResponse> {
  const res = await fetch(`${serverUrl}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'django-vs-node' }),
  });
  if (res.status !== 201) throw new Error(`creating a board failed: ${res.status}`);
  return (await res.json()) as CreateBoardResponse;
}
