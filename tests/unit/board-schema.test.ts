import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addCriterion,
  addOption,
  clampWeight,
  getNotes,
  initBoardFromTemplate,
  moveCriterion,
  readBoard,
  readCriteria,
  removeCriterion,
  setMetaText,
  setNotes,
  updateCriterion,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { boardTemplateSchema } from '@/lib/template';

function sync(a: Y.Doc, b: Y.Doc) {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
}

describe('notes', () => {
  it.each([
    ['', 'hello'],
    ['hello', ''],
    ['hello world', 'hello brave world'],
    ['abcabc', 'abc'],
    ['same', 'same'],
  ])('setNotes turns %j into %j', (from, to) => {
    const doc = new Y.Doc();
    setNotes(doc, from);
    setNotes(doc, to);
    expect(getNotes(doc).toString()).toBe(to);
  });

  it('two people editing different parts of the notes both keep their text', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    setNotes(a, 'first line\nsecond line');
    sync(a, b);
    setNotes(a, 'FIRST line\nsecond line');
    setNotes(b, 'first line\nsecond line, amended');
    sync(a, b);
    expect(getNotes(a).toString()).toBe('FIRST line\nsecond line, amended');
    expect(getNotes(b).toString()).toBe(getNotes(a).toString());
  });
});

const template = boardTemplateSchema.parse(
  JSON.parse(
    fs.readFileSync(path.resolve(import.meta.dirname, '../../lib/templates/django-vs-node.json'), 'utf8'),
  ),
);

function boardDoc(): Y.Doc {
  const doc = new Y.Doc();
  initBoardFromTemplate(doc, template, '2026-11-22T10:00:00.000Z');
  return doc;
}

describe('board schema', () => {
  it('a board from the default template reads back as the template says', () => {
    const board = readBoard(boardDoc());
    expect(board.question).toBe(template.question);
    expect(board.status).toBe('open');
    expect(board.options.map((o) => o.id)).toEqual(['django', 'node']);
    expect(board.criteria.map((c) => c.id)).toEqual(template.criteria.map((c) => c.key));
    expect(board.criteria[0]?.evidence.length).toBe(template.criteria[0]?.evidence.length);
    expect(board.decision.status).toBe('proposed');
    expect(board.sources.length).toBe(template.sources.length);
  });

  it('moving a criterion keeps its id, weight and evidence', () => {
    const doc = boardDoc();
    const before = readCriteria(doc).find((c) => c.id === 'security')!;
    moveCriterion(doc, 'security', 0);
    const after = readCriteria(doc);
    expect(after[0]).toEqual(before);
    expect(after).toHaveLength(template.criteria.length);
  });

  it('weights are clamped to whole numbers in range', () => {
    expect(clampWeight(-3)).toBe(LIMITS.MIN_WEIGHT);
    expect(clampWeight(1e9)).toBe(LIMITS.MAX_WEIGHT);
    expect(clampWeight(2.6)).toBe(3);
    expect(clampWeight(Number.NaN)).toBe(LIMITS.MIN_WEIGHT);
    const doc = boardDoc();
    updateCriterion(doc, 'cost', { weight: 500 });
    expect(readCriteria(doc).find((c) => c.id === 'cost')?.weight).toBe(LIMITS.MAX_WEIGHT);
  });

  it('text is clamped to its limit, so the browser never writes what the server refuses', () => {
    const doc = boardDoc();
    setMetaText(doc, 'title', 'x'.repeat(LIMITS.MAX_TITLE_CHARS + 50));
    expect(readBoard(doc).title).toHaveLength(LIMITS.MAX_TITLE_CHARS);
  });

  it('no more criteria or options than the limits allow', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < LIMITS.MAX_CRITERIA; i++) {
      expect(addCriterion(doc, { id: `c${i}`, name: `C${i}`, description: '', weight: 1 })).toBe(true);
    }
    expect(addCriterion(doc, { id: 'one-more', name: 'x', description: '', weight: 1 })).toBe(false);
    for (let i = 0; i < LIMITS.MAX_OPTIONS; i++)
      expect(addOption(doc, { id: `o${i}`, name: '', description: '' })).toBe(true);
    expect(addOption(doc, { id: 'one-more', name: '', description: '' })).toBe(false);
    removeCriterion(doc, 'c0');
    expect(readCriteria(doc)).toHaveLength(LIMITS.MAX_CRITERIA - 1);
  });
});
