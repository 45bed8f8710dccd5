import { expectAccessible } from './axe';
import { expect, joinAs, newBoard, person, test } from './fixtures';

test('[R7] the facilitator reserves structure to themself; everyone sees who removed a criterion, which comes back with undo for everyone; a round freezes it', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const alice = await person(browser);
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  await expect(alice.getByRole('button', { name: 'Remove Cost' })).toBeVisible();

  await fran.getByLabel('Criteria, options and weights can be changed by').selectOption('facilitator');
  await expect(alice.getByTestId('structure-locked')).toHaveText(
    '🔒 Only the facilitator changes criteria, options and weights on this board.',
  );
  await expect(alice.getByRole('button', { name: 'Remove Cost' })).toHaveCount(0);
  await expect(alice.getByRole('button', { name: /Increase weight of/ })).toHaveCount(0);

  fran.once('dialog', (d) => void d.accept());
  await fran.getByRole('button', { name: 'Remove Cost' }).click();
  await expect(alice.getByTestId('criterion-cost')).toHaveCount(0);
  // Who changed what: Alice's strip names Fran; Fran's own says "You".
  await expect(fran.getByTestId('change-strip')).toContainText('You removed the criterion “Cost”');
  await expect(alice.getByTestId('change-strip')).toContainText('Fran removed the criterion “Cost”');
  await fran.getByRole('button', { name: 'Undo: remove “Cost”' }).click();
  await expect(alice.getByTestId('criterion-cost')).toBeVisible();
  await expect(fran.getByTestId('criterion-cost')).toBeVisible();

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  // During a round the grid is read-only for everyone (structure frozen, controls out of the way).
  await expect(fran.getByRole('button', { name: 'Remove Cost' })).toHaveCount(0);
  await expect(fran.getByTestId('undo')).toHaveCount(0);
});

test('[R12][R13][A2] who changed what is stored: it survives a reload and reaches a late joiner; the facilitator restores a removed criterion (not during a round); a phone does not scroll sideways', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const alice = await person(browser);
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');

  alice.once('dialog', (d) => void d.accept());
  await alice.getByRole('button', { name: 'Remove Security' }).click();
  await expect(fran.getByTestId('criterion-security')).toHaveCount(0);
  await expect(fran.getByTestId('change-strip')).toContainText('Alice removed the criterion “Security”');
  await expect(alice.getByTestId('change-strip')).toContainText('You removed the criterion “Security”');
  // Only the facilitator is offered the restore.
  await expect(alice.getByRole('button', { name: 'Restore Security' })).toHaveCount(0);

  // Stored with the board: after a reload, and for someone who was not there.
  await fran.reload();
  await expect(fran.getByTestId('change-strip')).toContainText('Alice removed the criterion “Security”');
  const bob = await person(browser);
  await bob.goto(board.links.participant);
  await joinAs(bob, 'Bob');
  await expect(bob.getByTestId('change-strip')).toContainText('Alice removed the criterion “Security”');

  // Structure is frozen during a round: the restore waits for the reveal.
  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(fran.getByRole('button', { name: 'Restore Security' })).toBeDisabled();
  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  const restore = fran.getByRole('button', { name: 'Restore Security' });
  await expect(restore).toBeEnabled();
  await fran.getByTestId('changes').screenshot({ path: 'test-results/changes-facilitator.png' });
  await expectAccessible(fran, 'the change history with a removed criterion');
  await restore.click();
  await expect(alice.getByTestId('criterion-security')).toBeVisible();
  await expect(alice.getByTestId('change-strip')).toContainText('Fran restored the criterion “Security”');
  await expect(fran.getByTestId('change-strip')).toContainText('You restored the criterion “Security”');
  await expect(fran.getByRole('button', { name: 'Restore Security' })).toHaveCount(0);
  // Alice's undo no longer offers to bring back what is back (a second copy would be refused).
  await expect(alice.getByTestId('undo')).not.toContainText('Security');
  await expect(alice.getByTestId('undo')).toBeDisabled();

  // A long name without spaces wraps in the strip: the phone still does not scroll sideways.
  await alice.getByLabel('Criterion name').first().fill('W'.repeat(80));
  await expect(alice.getByTestId('change-strip')).toContainText(
    `renamed the criterion “Performance” to “${'W'.repeat(80)}”`,
  );
  await alice.getByTestId('changes').scrollIntoViewIfNeeded();
  await alice.screenshot({ path: 'test-results/changes-phone.png' });
  expect(await alice.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
  await expectAccessible(alice, 'the change history on a phone');
});
