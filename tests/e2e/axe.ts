import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/**
 * Runs axe-core on the page as it is now and expects no serious or critical violation (A1).
 * Reusable for any page or state: `await expectAccessible(page, 'presenter view')`.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.length}×): ${v.help} — ${v.nodes[0]?.target.join(' ')}`);
  expect(serious, `axe on ${what}`).toEqual([]);
}
