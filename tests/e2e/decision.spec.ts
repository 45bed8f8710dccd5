import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, joinAs, person, test } from './fixtures';

async function scoreEverything(page: Page, pick: (i: number) => number) {
  const cells = page.getByTestId('score-cell');
  // The round reaches each page a moment after the facilitator starts it: wait for its cells.
  await expect(cells).toHaveCount(24);
  const n = await cells.count();
  for (let i = 0; i < n; i++)
    await cells
      .nth(i)
      .getByText(String(pick(i)), { exact: true })
      .click();
}

test('[M3][R1] a facilitator and two participants run a round, finalize, and download the decision record; the viewer link is read-only', async ({
  browser,
  server,
}) => {
  const fran = await person(browser);
  await fran.goto(server.url);
  await fran.getByRole('button', { name: 'New decision' }).click();
  await joinAs(fran, 'Fran');
  const participantLink = await fran.getByTestId('participant-link').inputValue();
  const viewerLink = await fran.getByTestId('viewer-link').inputValue();
  await expect(fran.getByTestId('facilitator-link')).toBeVisible();
  expect(viewerLink).toMatch(/\/v\/[A-Za-z0-9_-]{22}$/);
  expect(viewerLink).not.toContain(participantLink.split('/b/')[1]);
  await fran.getByRole('button', { name: 'Show QR code for phones' }).click();
  await expect(fran.getByRole('img', { name: 'QR code of the participant link' })).toBeVisible();

  const alice = await person(browser);
  await alice.goto(participantLink);
  await joinAs(alice, 'Alice');
  const bob = await person(browser);
  await bob.goto(participantLink);
  await joinAs(bob, 'Bob');
  // Participants see the participant and viewer links, never the facilitator's.
  await expect(alice.getByTestId('viewer-link')).toHaveValue(viewerLink);
  await expect(alice.getByTestId('facilitator-link')).toHaveCount(0);
  await expect(alice.getByTestId('facilitator-decision-controls')).toHaveCount(0);

  const cto = await person(browser);
  await cto.goto(viewerLink);
  await expect(cto.getByTestId('viewer-badge')).toBeVisible();
  await expect(cto.getByText('Which backend should we use: Django or Node.js?')).toBeVisible();
  await expect(cto.getByLabel('Criterion name')).toHaveCount(0); // nothing editable
  await expect(cto.getByTestId('participant-link')).toHaveCount(0);

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await scoreEverything(alice, (i) => (i % 2 === 0 ? 5 : 2)); // Django high
  await scoreEverything(bob, (i) => (i % 2 === 0 ? 4 : 3));
  await scoreEverything(fran, (i) => (i % 2 === 0 ? 4 : 2));
  await expect(cto.getByTestId('consensus-matrix')).toHaveCount(0); // blind for viewers too
  // Reveal once the server has every ballot (a click shows at once; its ballot lands a moment later).
  await expect(fran.getByText(/3 of 3 finished/)).toBeVisible();
  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(cto.getByTestId('consensus-matrix')).toBeVisible();
  await expect(cto.getByTestId('score-cell')).toHaveCount(0);

  // The draft is shared work: Alice writes the reason, Fran finalizes.
  await alice.getByLabel('Because…').fill('it fits our data-heavy product and the team knows Python');
  await alice.getByLabel('Good consequences').fill('Admin and ORM out of the box');
  await alice.getByLabel('Review date').fill('2027-05-01');
  await expect(fran.getByLabel('Because…')).toHaveValue(
    'it fits our data-heavy product and the team knows Python',
  );
  await fran.getByLabel('Status').selectOption('accepted');
  fran.once('dialog', (d) => void d.accept());
  await fran.getByRole('button', { name: 'Finalize decision' }).click();
  for (const page of [fran, alice, bob, cto]) {
    await expect(page.getByTestId('locked-banner')).toContainText('finalized');
  }
  await expect(alice.getByLabel('Because…')).toBeDisabled();
  await expect(alice.getByTestId('score-cell')).toHaveCount(0);

  const downloadPromise = alice.waitForEvent('download');
  await alice.getByTestId('download-record').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^\d{4}-\d{2}-\d{2}-django-or-node-js.*\.md$/);
  const markdown = fs.readFileSync((await download.path())!, 'utf8');
  expect(markdown).toMatch(/^---\nstatus: "?accepted"?/);
  expect(markdown).toContain(
    'Chosen option: "Django", because it fits our data-heavy product and the team knows Python.',
  );
  expect(markdown).toContain('## More Information');
  expect(markdown).toMatch(/\| *Criterion/);
  expect(markdown).toContain('2027-05-01');

  // The viewer can download the same record without knowing the board id.
  const viewerDownload = cto.waitForEvent('download');
  await cto.getByTestId('download-record').click();
  const viewerMarkdown = fs.readFileSync((await (await viewerDownload).path())!, 'utf8');
  expect(viewerMarkdown).toBe(markdown);
});
