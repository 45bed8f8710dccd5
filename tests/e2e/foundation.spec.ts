import { expect, joinAs, person, test } from './fixtures';

test('two people edit one board live, see each other, and the edit survives a server restart', async ({
  browser,
  server,
}) => {
  const alice = await person(browser);
  await alice.goto(server.url);
  await expect(alice.getByRole('heading', { level: 1 })).toContainText('Decide together');
  await alice.getByRole('button', { name: 'New decision' }).click();
  await joinAs(alice, 'Alice');
  await expect(alice.getByLabel('Question')).toHaveValue('Which backend should we use: Django or Node.js?');
  await expect(alice.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');

  const participantLink = await alice.getByTestId('participant-link').inputValue();
  expect(participantLink).toMatch(/\/b\/[A-Za-z0-9_-]{22}$/);
  await alice.getByRole('button', { name: 'Copy' }).first().click();
  expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe(participantLink);

  const bob = await person(browser);
  await bob.goto(participantLink);
  await joinAs(bob, 'Bob');
  await expect(bob.getByTestId('presence-list')).toContainText('Alice');
  await expect(alice.getByTestId('presence-list')).toContainText('Bob');
  // Bob is not the facilitator and is not shown the facilitator link.
  await expect(bob.getByTestId('facilitator-link')).toHaveCount(0);

  // Alice renames a criterion and changes its weight; Bob sees both.
  const perf = alice.getByTestId('criterion-performance');
  await perf.getByLabel('Criterion name').fill('Throughput under load');
  await perf.getByRole('button', { name: /Increase weight/ }).click();
  const bobPerf = bob.getByTestId('criterion-performance');
  await expect(bobPerf.getByLabel('Criterion name')).toHaveValue('Throughput under load');
  await expect(bobPerf.getByLabel(/^Weight of/)).toHaveValue('5');
  await expect(alice.getByTestId('save-status')).toHaveAttribute('data-status', 'saved');

  // Bob adds a criterion; Alice sees it.
  await bob.getByRole('button', { name: '+ Criterion' }).click();
  await expect(alice.getByLabel('Criterion name').last()).toHaveValue('New criterion');

  await server.restart();
  await alice.reload();
  await expect(alice.getByTestId('criterion-performance').getByLabel('Criterion name')).toHaveValue(
    'Throughput under load',
  );
  await expect(alice.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  // Bob's page reconnected by itself.
  await expect(bob.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected', {
    timeout: 20_000,
  });
});

test('a blank board starts with two empty options and no criteria', async ({ browser, server }) => {
  const page = await person(browser);
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Start from a blank board' }).click();
  await joinAs(page, 'Solo');
  await expect(page.getByText('No criteria yet.')).toBeVisible();
  await expect(page.getByLabel('Option name').first()).toHaveValue('');
});
