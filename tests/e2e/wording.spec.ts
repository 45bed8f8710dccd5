import { io } from 'socket.io-client';
import { EVENTS, type Result, type SessionState } from '@/lib/protocol';
import { DEFAULT_CRITERIA, DEFAULT_OPTIONS } from '../helpers/session';
import { expect, joinAs, newBoard, person, test } from './fixtures';

/** A voter driven from the test process over the real session channel. */
async function scriptedVoter(url: string, boardId: string, name: string) {
  const socket = io(url, { transports: ['websocket'] });
  const ack = <T>(event: string, payload: unknown) =>
    new Promise<Result<T>>((resolve) => socket.emit(event as never, payload as never, resolve as never));
  const joined = await ack<{ state: SessionState }>(EVENTS.boardJoin, { as: 'participant', boardId, name });
  if (!joined.ok) throw new Error(joined.error.message);
  return {
    socket,
    async cast(roundId: string, value: (c: string, o: string) => number) {
      for (const c of DEFAULT_CRITERIA)
        for (const o of DEFAULT_OPTIONS) {
          const r = await ack(EVENTS.ballotCast, {
            roundId,
            criterionId: c,
            optionId: o,
            value: value(c, o),
          });
          if (!r.ok) throw new Error(r.error.message);
        }
    },
    async keep(roundId: string) {
      const r = await ack(EVENTS.ballotKeep, { roundId });
      if (!r.ok) throw new Error(r.error.message);
    },
    async one(roundId: string, c: string, o: string, value: number) {
      const r = await ack(EVENTS.ballotCast, { roundId, criterionId: c, optionId: o, value });
      if (!r.ok) throw new Error(r.error.message);
    },
  };
}

test('[C6][C7] a close lead reads "too close to call", every voter counts in "prefer", strong cells are not "discuss first", and a new leader is announced', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  // The box shows the server's state: it turns checked when the server has taken the change.
  const watching = fran.getByLabel('I’m only watching (spectator, does not vote)');
  await watching.click();
  await expect(watching).toBeChecked();
  const ana = await scriptedVoter(server.url, board.id, 'Ana');
  const ben = await scriptedVoter(server.url, board.id, 'Ben');
  const cy = await scriptedVoter(server.url, board.id, 'Cy');
  try {
    await fran.getByRole('button', { name: 'Start blind round' }).click();
    await expect(fran.getByTestId('round-status')).toHaveText('Round 1 · blind · scoring');
    const roundId = async () => (await fran.getByTestId('round-bar').getAttribute('data-round-id')) ?? '';
    const r1 = await roundId();
    // Ana prefers Node.js by one point on one cell; Ben and Cy score both options the same (a tie).
    await ana.cast(r1, (c, o) => (c === 'performance' && o === 'node' ? 5 : 4));
    await ben.cast(r1, () => 4);
    await cy.cast(r1, () => 4);
    await fran.getByRole('button', { name: 'Reveal scores' }).click();

    await expect(fran.getByTestId('close-call')).toContainText('Too close to call');
    await expect(fran.getByTestId('totals')).not.toContainText('Leading');
    await expect(fran.getByTestId('support')).toHaveText(
      '1 of 3 people prefer Node.js; 2 have no clear preference (a tie or no scores).',
    );
    // 5, 4, 4 is strong agreement: nothing to discuss first.
    await expect(fran.getByTestId('discuss-first')).toHaveCount(0);
    // The cell shows the mean, like the totals: (5 + 4 + 4) / 3.
    await expect(fran.getByTestId('matrix-cell-performance-node')).toContainText('4.3');

    await fran.getByRole('button', { name: 'Start blind round' }).click();
    await expect(fran.getByTestId('round-status')).toHaveText('Round 2 · blind · scoring');
    const r2 = await roundId();
    await ana.one(r2, 'performance', 'node', 4);
    await ana.one(r2, 'performance', 'django', 5);
    await ben.one(r2, 'performance', 'django', 5);
    for (const v of [ana, ben, cy]) await v.keep(r2);
    await fran.getByRole('button', { name: 'Reveal scores' }).click();
    await expect(fran.getByTestId('leader-change')).toHaveText('Node.js led in round 1; now Django leads.');
  } finally {
    for (const v of [ana, ben, cy]) v.socket.disconnect();
  }
});
