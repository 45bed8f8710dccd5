import path from 'node:path';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { findMap, getCriteria } from '@/lib/board-schema';
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

test('[D13][L8] a board from before with string descriptions renders them and they can be edited as shared text', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  // Written into the store while nobody has the board open, as an earlier build kept them.
  const db = new Database(path.join(server.dataDir, 'decision-board.sqlite'), { timeout: 5000 });
  try {
    const rows = db.prepare('SELECT data FROM doc_updates WHERE board_id = ? ORDER BY seq').all(board.id) as {
      data: Buffer;
    }[];
    const doc = new Y.Doc();
    for (const r of rows) Y.applyUpdate(doc, new Uint8Array(r.data));
    const before = Y.encodeStateVector(doc);
    findMap(getCriteria(doc), 'cost')!.set('description', 'Old: hosting and people');
    db.prepare('INSERT INTO doc_updates (board_id, data) VALUES (?, ?)').run(
      board.id,
      Buffer.from(Y.encodeStateAsUpdate(doc, before)),
    );
  } finally {
    db.close();
  }

  const page = await person(browser);
  await page.goto(board.links.participant);
  await joinAs(page, 'Carol');
  const field = page.getByLabel('Description of Cost');
  await expect(field).toHaveValue('Old: hosting and people');
  await field.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(', per year');
  await expect(field).toHaveValue('Old: hosting and people, per year');
  const other = await person(browser);
  await other.goto(board.links.participant);
  await joinAs(other, 'Dan');
  await expect(other.getByLabel('Description of Cost')).toHaveValue('Old: hosting and people, per year');
});
