import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { addEvidence } from '@/lib/board-schema';
import type { EvidenceSnapshot } from '@/lib/board-types';
import { EVENTS, type JoinResult, type Result, YJS_CLOSE } from '@/lib/protocol';
import { expect, joinAs, person, test } from './fixtures';

const SHOWDOWN = 'Node.js vs. Django: Backend Framework Showdown';

/** A participant's claim with a script link, as a forger would write it. */
const FORGED = {
  id: 'forged-1',
  optionId: 'node',
  text: 'Forged claim with a script link.',
  origin: { type: 'participant', authorName: 'Mallory', url: 'javascript:alert(document.domain)' },
  // A field the UI does not know changes nothing.
  sig: 'c2lnbmF0dXJl',
} as EvidenceSnapshot;

/** Joins a board on the session channel and returns the credentials its document connection needs. */
async function joinWithSocket(url: string, boardId: string, name: string) {
  const socket = io(url, { transports: ['websocket'] });
  try {
    const result = await new Promise<Result<JoinResult>>((resolve) =>
      socket.emit(EVENTS.boardJoin, { as: 'participant', boardId, name }, resolve),
    );
    if (!result.ok || !result.data.credentials) throw new Error('join failed');
    return result.data.credentials;
  } finally {
    socket.disconnect();
  }
}

async function createBoard(url: string): Promise<{ id: string; links: { participant: string } }> {
  const res = await fetch(`${url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'django-vs-node' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; links: { participant: string } };
}

/** Opens a criterion's (collapsed) evidence panel and returns it. */
async function openEvidence(page: Page, criterionId: string): Promise<Locator> {
  const panel = page.getByTestId(`evidence-${criterionId}`);
  await expect(panel).not.toHaveAttribute('open');
  await panel.locator('summary').click();
  await expect(panel).toHaveAttribute('open');
  return panel;
}

/** The column of source claims headed by `heading` ("Django", "Node.js", "Comparing both"). */
const column = (panel: Locator, heading: string) =>
  panel.getByRole('heading', { level: 4, name: heading, exact: true }).locator('xpath=..');

test('evidence: the articles’ claims and their disagreement are shown, and a participant’s claim with a link reaches the other browser', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  const alice = await person(browser);
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  const bob = await person(browser);
  await bob.goto(board.links.participant);
  await joinAs(bob, 'Bob');
  await expect(bob.getByTestId('presence-list')).toContainText('Alice');

  // Collapsed by default: the claims are not visible until opened.
  const closed = alice.getByTestId('evidence-learning-curve');
  await expect(closed.locator('summary')).toContainText('Evidence (12)');
  await expect(closed.locator('summary')).toContainText('⚠ Sources disagree');
  await expect(closed.locator('#evidence-planeks-14')).toBeHidden();
  // Criteria whose sources agree carry no marker.
  for (const agreed of ['cost', 'ecosystem', 'data-heavy-fit'])
    await expect(alice.getByTestId(`evidence-${agreed}`).locator('summary')).not.toContainText(
      'Sources disagree',
    );

  const panel = await openEvidence(alice, 'learning-curve');
  const contested = panel.getByTestId('contested-summary');
  await expect(contested).toBeVisible();
  await expect(contested).toContainText('Sources disagree: Which is easier to learn?');
  await expect(contested).toContainText("Its summary table rates ease of use 'High' for Django");
  await expect(contested.getByRole('listitem')).toHaveCount(6);

  // The articles' claims, per option, each with its article's short name.
  const django = column(panel, 'Django');
  const node = column(panel, 'Node.js');
  const both = column(panel, 'Comparing both');
  await expect(django.getByRole('listitem')).toHaveCount(4);
  await expect(node.getByRole('listitem')).toHaveCount(6);
  await expect(both.getByRole('listitem')).toHaveCount(2);
  await expect(
    django.getByRole('listitem').filter({ hasText: 'Builds Django on Python, which it calls readable' }),
  ).toContainText('— Backend Titans');
  await expect(
    node.getByRole('listitem').filter({ hasText: 'Gives Node.js a slight edge on learning' }),
  ).toContainText('— Showdown');
  await expect(both.getByRole('listitem').last()).toHaveText(
    'Says Django has a fairly gentle learning curve compared with Node.js. — PLANEKS',
    { useInnerText: true },
  );
  await expect(node).not.toContainText('Builds Django on Python');
  await expect(panel.getByText('Nothing added yet.')).toBeVisible();

  // Alice adds her own claim about Node.js, with a link typed without https:// (it is added).
  const form = panel.getByRole('form', { name: 'Add evidence' });
  await form.getByRole('combobox').selectOption({ label: 'Node.js' });
  await form.getByLabel('Evidence text').fill('Our team learned NestJS in two sprints.');
  await form.getByLabel('Evidence link').fill('example.com/retro/nest');
  await form.getByRole('button', { name: 'Add evidence' }).click();
  const mine = panel.getByTestId('participant-evidence');
  await expect(mine.getByRole('listitem')).toHaveCount(1);
  await expect(form.getByLabel('Evidence text')).toHaveValue('');
  await expect(form.getByLabel('Evidence link')).toHaveValue('');
  await expect(form.getByRole('alert')).toHaveCount(0);
  // Source columns are unchanged: participant claims are kept apart.
  await expect(node.getByRole('listitem')).toHaveCount(6);

  // Bob sees it under "From participants", attributed to Alice, with a safe link.
  await expect(bob.getByTestId('evidence-learning-curve').locator('summary')).toContainText('Evidence (13)');
  const bobPanel = await openEvidence(bob, 'learning-curve');
  const fromPeople = bobPanel.getByTestId('participant-evidence');
  await expect(fromPeople.getByRole('listitem')).toHaveCount(1);
  await expect(fromPeople.getByRole('listitem')).toContainText(
    'Node.js: Our team learned NestJS in two sprints. — added by Alice',
  );
  const link = fromPeople.getByRole('link');
  await expect(link).toHaveCount(1);
  await expect(link).toHaveAttribute('href', 'https://example.com/retro/nest');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(column(bobPanel, 'Node.js').getByRole('listitem')).toHaveCount(6);

  // A javascript: link is refused with a clear error, and nothing is added anywhere.
  let dialogs = 0;
  alice.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  bob.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await form.getByLabel('Evidence text').fill('Click me for proof');
  await form.getByLabel('Evidence link').fill('javascript:alert(1)');
  await form.getByRole('button', { name: 'Add evidence' }).click();
  const error = form.getByRole('alert');
  await expect(error).toBeVisible();
  await expect(error).toContainText('links must be http:// or https:// addresses');
  // The form keeps what was typed so it can be corrected.
  await expect(form.getByLabel('Evidence link')).toHaveValue('javascript:alert(1)');
  await expect(form.getByLabel('Evidence text')).toHaveValue('Click me for proof');

  // A valid claim sent afterwards proves Bob is up to date; the refused one never arrives.
  await form.getByLabel('Evidence text').fill('Sentinel claim after the refusal.');
  await form.getByLabel('Evidence link').fill('');
  await form.getByRole('button', { name: 'Add evidence' }).click();
  await expect(form.getByRole('alert')).toHaveCount(0);
  await expect(fromPeople.getByRole('listitem')).toHaveCount(2);
  await expect(fromPeople).toContainText('Sentinel claim after the refusal. — added by Alice');
  await expect(fromPeople).not.toContainText('Click me');
  await expect(mine).not.toContainText('Click me');
  await expect(bobPanel.locator('summary')).toContainText('Evidence (14)');
  await expect(fromPeople.getByRole('link')).toHaveCount(1);
  await expect(bob.locator('a[href^="javascript:"]')).toHaveCount(0);
  await expect(alice.locator('a[href^="javascript:"]')).toHaveCount(0);
  expect(dialogs).toBe(0);
});

test('[L3] evidence forged through the document is refused by the server and never reaches a browser', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  const page = await person(browser);
  await page.goto(board.links.participant);
  await joinAs(page, 'Carol');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  // A participant's standard y-websocket client bypasses the evidence:add command's checks.
  const credentials = await joinWithSocket(server.url, board.id, 'Mallory');
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.url.replace(/^http/, 'ws')}/yjs`, board.id, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: { participant: credentials.participantId, token: credentials.token },
  });
  try {
    await expect.poll(() => provider.synced).toBe(true);
    const closed = new Promise<number>((resolve) =>
      provider.once('closed', (e: { code: number }) => resolve(e.code)),
    );
    addEvidence(doc, 'cost', FORGED);
    expect(await closed).toBe(YJS_CLOSE.UPDATE_REFUSED);
    const panel = await openEvidence(page, 'cost');
    await expect(panel).toBeVisible();
    await expect(page.getByText('Forged claim with a script link.')).toHaveCount(0);
  } finally {
    provider.destroy();
    doc.destroy();
  }
});

test('[L8][E3] forged evidence already stored (from before the server checked) is shown as text, never as a link', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  // Written into the store while nobody has the board open, as an older server would have kept it.
  const db = new Database(path.join(server.dataDir, 'decision-board.sqlite'), { timeout: 5000 });
  try {
    const rows = db.prepare('SELECT data FROM doc_updates WHERE board_id = ? ORDER BY seq').all(board.id) as {
      data: Buffer;
    }[];
    const doc = new Y.Doc();
    for (const r of rows) Y.applyUpdate(doc, new Uint8Array(r.data));
    const before = Y.encodeStateVector(doc);
    addEvidence(doc, 'cost', FORGED);
    db.prepare('INSERT INTO doc_updates (board_id, data) VALUES (?, ?)').run(
      board.id,
      Buffer.from(Y.encodeStateAsUpdate(doc, before)),
    );
  } finally {
    db.close();
  }

  const page = await person(browser);
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.goto(board.links.participant);
  await joinAs(page, 'Carol');
  const panel = await openEvidence(page, 'cost');
  const item = panel.getByTestId('participant-evidence').getByRole('listitem');
  await expect(item).toContainText('Forged claim with a script link. — added by Mallory');
  await expect(item.getByRole('link')).toHaveCount(0);
  await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
  await item.click();
  expect(dialogs).toBe(0);
});

test('[E1][E2] a claim’s id and section show on hover and on keyboard focus, and the board’s own check is marked apart from the claims', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  const page = await person(browser);
  await page.goto(board.links.participant);
  await joinAs(page, 'Dana');

  const summary = page.getByTestId('evidence-performance').locator('summary');
  await expect(summary).toContainText('✎ 2 board checks');
  const panel = await openEvidence(page, 'performance');
  const jit = column(panel, 'Django').getByRole('listitem').filter({ hasText: 'just-in-time (JIT)' });
  const citation = jit.getByTestId('claim-citation');
  const card = jit.getByTestId('claim-locator');
  await expect(citation).toHaveText('— Showdown');
  await expect(card).toBeHidden();

  // Hover: the card names the claim, its article and the section to check it in.
  await citation.hover();
  await expect(card).toBeVisible();
  await expect(card).toContainText('Claim showdown-3');
  await expect(card).toContainText(SHOWDOWN);
  await expect(card).toContainText('Section: Key Comparison Points › Performance');
  await page.mouse.move(0, 0);
  await expect(card).toBeHidden();

  // Keyboard: reaching the citation with Tab shows the same card.
  await citation.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(citation).toBeFocused();
  await expect(card).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(card).toBeHidden();

  // Contested sides cite their claims the same way.
  const side = panel
    .getByTestId('contested-summary')
    .getByRole('listitem')
    .filter({ hasText: 'Backend Titans' });
  await side.getByTestId('claim-citation').hover();
  await expect(side.getByTestId('claim-locator')).toContainText('Claim titans-1');
  await expect(side.getByTestId('claim-locator')).toContainText(
    'Section: Performance Metrics and Throughput',
  );

  // The board's own checks: in their own box, said to be ours, with what they check and rest on.
  const checks = panel.getByTestId('editorial-checks');
  await expect(checks).toContainText('The board’s own checks');
  await expect(checks).toContainText('not claims of the articles');
  const jitCheck = checks.getByRole('listitem').filter({ hasText: 'Doubtful: CPython' });
  await expect(jitCheck).toContainText('off by default');
  await expect(jitCheck).toContainText(`Checks claim showdown-3 (${SHOWDOWN})`);
  await expect(jitCheck).toContainText('Rests on: Python documentation, “What’s New In Python 3.13”');
  await expect(jitCheck).not.toContainText('— Showdown');
  for (const heading of ['Django', 'Node.js', 'Comparing both'])
    await expect(column(panel, heading)).not.toContainText('Doubtful');
  // The claim it checks points to it.
  const mark = jit.getByRole('link', { name: '✎ board check' });
  await expect(mark).toHaveAttribute('href', '#evidence-check-1');
  await mark.click();
  await expect(jitCheck).toBeInViewport();
});

test('the evidence panel is readable on a phone, and a tap shows where to check a claim', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    hasTouch: true,
    isMobile: true,
  });
  const phone = await context.newPage();
  await phone.goto(board.links.participant);
  await joinAs(phone, 'Pat');

  const panel = await openEvidence(phone, 'learning-curve');
  await expect(panel.getByTestId('contested-summary')).toBeVisible();
  const claims = [
    column(panel, 'Django').getByRole('listitem').filter({ hasText: 'Builds Django on Python' }),
    column(panel, 'Node.js').getByRole('listitem').filter({ hasText: 'Gives Node.js a slight edge' }),
    column(panel, 'Comparing both').getByRole('listitem').last(),
  ];
  for (const claim of claims) {
    await claim.scrollIntoViewIfNeeded();
    await expect(claim).toBeVisible();
    const box = await claim.boundingBox();
    expect(box).not.toBeNull();
    // Inside the screen's width: no sideways scrolling needed to read a claim.
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(box!.width).toBeGreaterThan(150);
  }
  await expect(column(panel, 'Node.js').getByRole('listitem')).toHaveCount(6);

  // A tap on the article's name opens the card, inside the screen; a second tap closes it.
  const claim = claims[0]!;
  const card = claim.getByTestId('claim-locator');
  await claim.getByTestId('claim-citation').tap();
  await expect(card).toBeVisible();
  await expect(card).toContainText('Claim titans-14');
  await expect(card).toContainText('Section: Linguistic Foundations and Learning Curves');
  const cardBox = await card.boundingBox();
  expect(cardBox!.x).toBeGreaterThanOrEqual(0);
  expect(cardBox!.x + cardBox!.width).toBeLessThanOrEqual(390);
  await claim.getByTestId('claim-citation').tap();
  await expect(card).toBeHidden();

  const form = panel.getByRole('form', { name: 'Add evidence' });
  await form.getByLabel('Evidence text').scrollIntoViewIfNeeded();
  await expect(form.getByLabel('Evidence text')).toBeVisible();
  await expect(form.getByRole('button', { name: 'Add evidence' })).toBeVisible();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
  expect(overflow).toBeLessThanOrEqual(390);
  await context.close();
});
