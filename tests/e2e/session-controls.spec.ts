import { expect, joinAs, newBoard, person, test } from './fixtures';

test('the facilitator closes joining and makes the next round anonymous, with labelled controls', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);

  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const alice = await person(browser);
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');

  // Closing joining: a checkbox only the facilitator has; everyone is told.
  const joining = fran.getByRole('checkbox', { name: /New people can join/ });
  await expect(joining).toBeChecked();
  await expect(alice.getByRole('checkbox', { name: /New people can join/ })).toHaveCount(0);
  // Controlled by the server's state: it changes when the command is acknowledged.
  await joining.click();
  await expect(joining).not.toBeChecked();
  await expect(alice.getByTestId('joining-closed')).toHaveText('Closed to new people.');
  const late = await person(browser);
  await late.goto(board.links.participant);
  await joinAs(late, 'Late');
  await expect(late.getByText('the facilitator closed this board to new participants')).toBeVisible();

  // Anonymity for the next round.
  const anonymous = fran.getByRole('checkbox', { name: /Anonymous rounds/ });
  await anonymous.click();
  await expect(anonymous).toBeChecked();
  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(alice.getByTestId('round-status')).toHaveText('Round 1 · blind · anonymous · scoring');
  await expect(fran.getByTestId('progress-list')).toContainText('Alice not finished');
  await fran.getByTestId('round-bar').screenshot({ path: 'test-results/session-controls-round-bar.png' });
  await fran.locator('[aria-labelledby="presence-heading"]').screenshot({
    path: 'test-results/session-controls-presence.png',
  });
  await late.screenshot({ path: 'test-results/session-controls-late.png' });
});
