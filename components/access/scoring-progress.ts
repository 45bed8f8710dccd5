import type { BoardSnapshot } from '@/lib/board-types';

export interface CellRef {
  criterionId: string;
  optionId: string;
}

/** The board's cells in reading order: criterion by criterion, option by option. */
export function cellsInOrder(board: BoardSnapshot): CellRef[] {
  return board.criteria.flatMap((c) => board.options.map((o) => ({ criterionId: c.id, optionId: o.id })));
}

export const cellKey = (c: CellRef) => `${c.criterionId}:${c.optionId}`;

/**
 * The next cell without a score after `from` (wrapping around), or null when all are scored.
 * "After" so that pressing "next unscored" twice on a skipped cell moves on.
 */
export function nextUnscored(
  cells: CellRef[],
  scored: ReadonlySet<string>,
  from: CellRef | null,
): CellRef | null {
  const start = from ? cells.findIndex((c) => cellKey(c) === cellKey(from)) + 1 : 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[(start + i) % cells.length];
    if (cell && !scored.has(cellKey(cell))) return cell;
  }
  return null;
}

/** Moves the focus to a cell's score: its checked value, else its first one. */
export function focusCell(cell: CellRef): boolean {
  const group = document.querySelector<HTMLElement>(`[data-cell="${cellKey(cell)}"]`);
  const radio =
    group?.querySelector<HTMLInputElement>('input[type=radio]:checked') ??
    group?.querySelector<HTMLInputElement>('input[type=radio]');
  if (!radio) return false;
  radio.focus();
  group?.scrollIntoView({ block: 'center' });
  return true;
}

/** True when a key press belongs to a text field (typing "n" there is typing). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (
    target.isContentEditable ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  )
    return true;
  return (
    target instanceof HTMLInputElement && !['radio', 'checkbox', 'button', 'submit'].includes(target.type)
  );
}
