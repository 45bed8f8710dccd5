import { expect, joinAs, newBoard, person, test } from './fixtures';

test('[D13] two people typing in the question at once both keep their words, and the cursor stays where it was', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const alice = await person(browser);
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  const bob = await person(browser);
  await bob.setViewportSize({ width: 390, height: 844 });
  await bob.goto(board.links.participant);
  await joinAs(bob, 'Bob');
  const original = 'Which backend should we use: Django or Node.js?';
  const aq = alice.getByLabel('Question');
  const bq = bob.getByLabel('Question');
  await expect(aq).toHaveValue(original);
  await expect(bq).toHaveValue(original);

  // Alice types at the end; Bob, at the same time, at the start.
  await aq.click();
  await alice.keyboard.press('Control+End');
  await bq.click();
  await bob.keyboard.press('Control+Home');
  await Promise.all([alice.keyboard.type(' By Friday.'), bob.keyboard.type('Payments: ')]);
  const merged = `Payments: ${original} By Friday.`;
  await expect(aq).toHaveValue(merged);
  await expect(bq).toHaveValue(merged);
  // Alice's cursor is still after her own words (it moved with Bob's insertion before it).
  expect(await aq.evaluate((el: HTMLTextAreaElement) => el.selectionStart)).toBe(merged.length);
  await alice.keyboard.type('!');
  await expect(bq).toHaveValue(`${merged}!`);
});

test('[D13] two people typing in the same criterion description at once both keep their words, and the cursor stays', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const alice = await person(browser);
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  const bob = await person(browser);
  await bob.setViewportSize({ width: 390, height: 844 });
  await bob.goto(board.links.participant);
  await joinAs(bob, 'Bob');
  const ad = alice.getByLabel('Description of Cost');
  const bd = bob.getByLabel('Description of Cost');
  const original = await ad.inputValue();
  expect(original.length).toBeGreaterThan(0);
  await expect(bd).toHaveValue(original);

  // Alice types at the end; Bob, at the same time, at the start.
  await ad.click();
  await alice.keyboard.press('Control+End');
  await bd.click();
  await bob.keyboard.press('Control+Home');
  await Promise.all([alice.keyboard.type(' Per year.'), bob.keyboard.type('Money: ')]);
  const merged = `Money: ${original} Per year.`;
  await expect(ad).toHaveValue(merged);
  await expect(bd).toHaveValue(merged);
  // Alice's cursor is still after her own words (it moved with Bob's insertion before it).
  expect(await ad.evaluate((el: HTMLTextAreaElement) => el.selectionStart)).toBe(merged.length);
  await alice.keyboard.type('!');
  await expect(bd).toHaveValue(`${merged}!`);
  // Stored: a reload shows the merged text.
  await bob.reload();
  await expect(bob.getByLabel('Description of Cost')).toHaveValue(`${merged}!`);
});
