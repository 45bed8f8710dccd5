import type { Page } from '@playwright/test';
import { expect, joinAs, person, test } from './fixtures';

/**
 * Controls whether this page's board document connection reaches the server (the session
 * channel always does). While cut, each attempt is refused like a server that cannot store
 * the board, and the provider keeps retrying.
 */
async function documentConnection(page: Page): Promise<{ cut: boolean }> {
  const state = { cut: true };
  await page.routeWebSocket(/\/yjs\//, (ws) => {
    if (state.cut) ws.close({ code: 4500, reason: 'test: storage unreachable' });
    else ws.connectToServer();
  });
  return state;
}

test('[D6] edits that never reached the server are never shown as saved, not even after a reload (a new Yjs client id)', async ({
  browser,
  server,
}) => {
  const alice = await person(browser);
  await alice.goto(server.url);
  await alice.getByRole('button', { name: 'New decision' }).click();
  await joinAs(alice, 'Alice');
  await expect(alice.getByTestId('save-status')).toHaveAttribute('data-status', 'saved');
  const link = await alice.getByTestId('participant-link').inputValue();

  const connection = await documentConnection(alice);
  await alice.reload();
  const name = alice.getByTestId('criterion-performance').getByLabel('Criterion name');
  await name.fill('Renamed while the document was unreachable');
  await expect(alice.getByTestId('save-status')).not.toHaveAttribute('data-status', 'saved');

  // A reload: the unsent edit is in this browser's copy under the previous visit's client id.
  await alice.reload();
  await expect(name).toHaveValue('Renamed while the document was unreachable');
  await expect(alice.getByTestId('save-status')).toBeVisible();
  await expect(alice.getByTestId('save-status')).not.toHaveAttribute('data-status', 'saved');
  await expect(alice.getByTestId('save-status')).not.toContainText('All changes saved');

  // The document connection comes back: the edit is sent, committed, and then shown as saved.
  connection.cut = false;
  await expect(alice.getByTestId('save-status')).toHaveAttribute('data-status', 'saved', { timeout: 20_000 });
  await expect(alice.getByTestId('doc-notice')).toHaveCount(0);
  const bob = await person(browser);
  await bob.goto(link);
  await joinAs(bob, 'Bob');
  await expect(bob.getByTestId('criterion-performance').getByLabel('Criterion name')).toHaveValue(
    'Renamed while the document was unreachable',
  );
});
