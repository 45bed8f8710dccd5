'use client';

import { memo, type ReactNode } from 'react';
import type * as Y from 'yjs';
import {
  addCriterion,
  addOption,
  findMap,
  getCriteria,
  getDescription,
  moveCriterion,
  readDescription,
  removeCriterion,
  removeOption,
  setDescription,
  updateCriterion,
  updateOption,
} from '@/lib/board-schema';
import type { BoardSnapshot, CriterionSnapshot, OptionSnapshot, SourceSnapshot } from '@/lib/board-types';
import { LIMITS } from '@/lib/limits';
import { newId } from '../new-id';
import { type Restores, useUndo } from '../use-undo';
import { EditableText } from './editable-text';
import { EvidencePanel } from './evidence-panel';
import { SharedTextField } from './shared-text-field';
import { WeightInput } from './weight-input';

export interface CriteriaGridProps {
  doc: Y.Doc;
  board: BoardSnapshot;
  readOnly: boolean;
  /** Content of a criterion × option cell (scores, in rounds). */
  renderCell?: (criterionId: string, optionId: string) => ReactNode;
  /** Extra content under a criterion's evidence (the "add evidence" form). */
  renderEvidenceForm?: (criterionId: string) => ReactNode;
  /**
   * Why options, criteria and weights cannot change for this person now (a round is open, or
   * only the facilitator may), or null. The server enforces it; this only says so.
   */
  structureLockedReason?: string | null;
}

const smallBtn =
  'rounded-md border border-slate-300 bg-white px-2 py-1 text-sm hover:bg-slate-100 disabled:opacity-40 min-h-9 min-w-9';

/** An option's editable name and its remove button (header row, or the list on phones). */
function OptionHeader({
  doc,
  option,
  readOnly,
  canRemove,
  onRemove,
  testId,
}: {
  doc: Y.Doc;
  option: OptionSnapshot;
  readOnly: boolean;
  canRemove: boolean;
  onRemove: (label: string, remove: () => void, restores: Restores) => void;
  testId?: string;
}) {
  const label = option.name || 'unnamed';
  return (
    <div className="flex items-center gap-1" data-testid={testId}>
      <EditableText
        value={option.name}
        onChange={(name) => updateOption(doc, option.id, { name })}
        label="Option name"
        maxLength={LIMITS.MAX_NAME_CHARS}
        placeholder="Name this option"
        readOnly={readOnly}
        className="font-semibold text-white focus:text-slate-900"
      />
      {!readOnly && canRemove && (
        <button
          type="button"
          aria-label={`Remove option ${label}`}
          className="rounded px-2 py-1 text-slate-300 hover:bg-slate-700 hover:text-white"
          onClick={() => {
            if (window.confirm(`Remove the option “${label}” for everyone? You can undo it.`))
              onRemove(`remove “${label}”`, () => removeOption(doc, option.id), {
                list: 'options',
                id: option.id,
              });
          }}
        >
          ✕
        </button>
      )}
    </div>
  );
}

/**
 * A criterion's description, bound to its shared text (D13): typed character by character,
 * other people's typing merged in with this person's cursor kept. A string description from
 * before (until the server migrated it) is edited as a plain field, which makes it shared text.
 */
function CriterionDescription({
  doc,
  id,
  name,
  value,
  readOnly,
}: {
  doc: Y.Doc;
  id: string;
  name: string;
  value: string;
  readOnly: boolean;
}) {
  const map = findMap(getCriteria(doc), id);
  const text = map ? getDescription(map) : null;
  const label = `Description of ${name}`;
  const placeholder = 'What does this criterion mean?';
  if (!map || !text) {
    return (
      <EditableText
        value={value}
        onChange={(description) => updateCriterion(doc, id, { description })}
        label={label}
        maxLength={LIMITS.MAX_DESCRIPTION_CHARS}
        placeholder={placeholder}
        readOnly={readOnly}
        multiline
        className="text-sm text-slate-600"
      />
    );
  }
  return (
    <SharedTextField
      text={text}
      read={() => readDescription(map)}
      write={(v) => setDescription(doc, map, v)}
      label={label}
      maxLength={LIMITS.MAX_DESCRIPTION_CHARS}
      placeholder={placeholder}
      readOnly={readOnly}
      className="text-sm text-slate-600"
      testId={`description-${id}`}
    />
  );
}

/** The options × criteria grid with the weights; every edit goes to the shared document. */
export function CriteriaGrid({
  doc,
  board,
  readOnly,
  renderCell,
  renderEvidenceForm,
  structureLockedReason = null,
}: CriteriaGridProps) {
  const totalWeight = board.criteria.reduce((s, c) => s + c.weight, 0);
  const structure = !readOnly && structureLockedReason === null;
  // Who changed what is recorded by the server from each update (the history strip).
  const { label: undoLabel, undo, labelled } = useUndo(doc);
  const optionProps = { canRemove: structure, onRemove: labelled };
  const columns = `minmax(13rem, 1.4fr) 8.5rem repeat(${Math.max(1, board.options.length)}, minmax(11.5rem, 1fr))`;

  return (
    <section aria-labelledby="grid-heading" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="grid-heading" className="text-xl font-bold">
          Criteria and options
        </h2>
        {!readOnly && (
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              className="rounded-lg bg-white px-3 py-2 font-semibold ring-1 ring-slate-300 hover:bg-slate-100 disabled:opacity-40"
              disabled={undoLabel === null || !structure}
              title={structure ? undefined : (structureLockedReason ?? undefined)}
              onClick={undo}
              data-testid="undo"
            >
              ↶ Undo{undoLabel ? `: ${undoLabel}` : ''}
            </button>
          </div>
        )}
        {structure && (
          <div className="flex gap-2">
            <button
              type="button"
              className="rounded-lg bg-white px-3 py-2 font-semibold ring-1 ring-slate-300 hover:bg-slate-100 disabled:opacity-40"
              disabled={board.options.length >= LIMITS.MAX_OPTIONS}
              onClick={() =>
                labelled('add an option', () =>
                  addOption(doc, {
                    id: newId(),
                    name: `Option ${board.options.length + 1}`,
                    description: '',
                  }),
                )
              }
            >
              + Option
            </button>
            <button
              type="button"
              className="rounded-lg bg-blue-700 px-3 py-2 font-semibold text-white hover:bg-blue-800 disabled:opacity-40"
              disabled={board.criteria.length >= LIMITS.MAX_CRITERIA}
              onClick={() =>
                labelled('add a criterion', () =>
                  addCriterion(doc, { id: newId(), name: 'New criterion', description: '', weight: 3 }),
                )
              }
            >
              + Criterion
            </button>
          </div>
        )}
      </div>

      {!readOnly && structureLockedReason !== null && (
        <p
          className="rounded-lg bg-slate-100 p-2 text-slate-800 ring-1 ring-slate-300"
          data-testid="structure-locked"
        >
          🔒 {structureLockedReason}
        </p>
      )}

      {/* Header row: option names (desktop). On phones each criterion card names the options. */}
      <div
        className="sticky top-0 z-10 hidden gap-2 rounded-lg bg-slate-800 p-2 text-white md:grid"
        style={{ gridTemplateColumns: columns }}
      >
        <div className="px-2 py-1 font-semibold">Criterion</div>
        <div className="px-2 py-1 text-center font-semibold">Weight</div>
        {board.options.map((o) => (
          <OptionHeader
            key={o.id}
            doc={doc}
            option={o}
            readOnly={readOnly}
            {...optionProps}
            testId={`option-header-${o.id}`}
          />
        ))}
      </div>

      {/* Phones: options are edited here, since the header row is hidden. */}
      <div className="space-y-2 md:hidden">
        {board.options.map((o) => (
          <div key={o.id} className="rounded-lg bg-slate-800 p-1 text-white">
            <OptionHeader doc={doc} option={o} readOnly={readOnly} {...optionProps} />
          </div>
        ))}
      </div>

      {board.criteria.length === 0 && (
        <p className="rounded-lg border-2 border-dashed border-slate-300 p-6 text-center text-slate-500">
          No criteria yet. {readOnly ? '' : 'Add the first one with “+ Criterion”.'}
        </p>
      )}

      <ol className="space-y-2" data-testid="criteria-list">
        {board.criteria.map((c, index) => (
          <CriterionRow
            key={c.id}
            doc={doc}
            c={c}
            index={index}
            count={board.criteria.length}
            options={board.options}
            sources={board.sources}
            columns={columns}
            totalWeight={totalWeight}
            readOnly={readOnly}
            structure={structure}
            labelled={labelled}
            renderCell={renderCell}
            renderEvidenceForm={renderEvidenceForm}
          />
        ))}
      </ol>
    </section>
  );
}

/**
 * One criterion: its name, description, weight, cells and evidence. Memoized: on a 40 × 12
 * board a ballot or an edit elsewhere must not re-render every row, so every prop is a value
 * or an object the snapshot keeps when unchanged (lib/structural-share.ts), and the page keeps
 * `renderCell` the same function while no cell's content changed.
 */
const CriterionRow = memo(function CriterionRow({
  doc,
  c,
  index,
  count,
  options,
  sources,
  columns,
  totalWeight,
  readOnly,
  structure,
  labelled,
  renderCell,
  renderEvidenceForm,
}: {
  doc: Y.Doc;
  c: CriterionSnapshot;
  index: number;
  count: number;
  options: OptionSnapshot[];
  sources: SourceSnapshot[];
  columns: string;
  totalWeight: number;
  readOnly: boolean;
  structure: boolean;
  labelled: ReturnType<typeof useUndo>['labelled'];
  renderCell?: CriteriaGridProps['renderCell'];
  renderEvidenceForm?: CriteriaGridProps['renderEvidenceForm'];
}) {
  return (
    <li
      // Off-screen criteria skip style, layout and paint (content-visibility): on a 40 × 12
      // board most rows are off screen, and every edit or ballot would lay them all out.
      // They stay in the accessibility tree and in find-in-page.
      className="rounded-xl bg-white p-2 shadow-sm ring-1 ring-slate-200 [content-visibility:auto] [contain-intrinsic-size:auto_20rem]"
      data-testid={`criterion-${c.id}`}
    >
      <div className="grid gap-2 md:items-start">
        <div
          className="grid gap-2 md:[grid-template-columns:var(--cols)]"
          style={{ ['--cols' as string]: columns }}
        >
          <div className="min-w-0">
            <EditableText
              value={c.name}
              onChange={(name) => updateCriterion(doc, c.id, { name })}
              label="Criterion name"
              maxLength={LIMITS.MAX_NAME_CHARS}
              placeholder="Name this criterion"
              readOnly={readOnly}
              className="text-lg font-semibold"
            />
            <CriterionDescription
              doc={doc}
              id={c.id}
              name={c.name}
              value={c.description}
              readOnly={readOnly}
            />
            {structure && (
              <div className="mt-1 flex gap-1 px-2">
                <button
                  type="button"
                  className={smallBtn}
                  aria-label={`Move ${c.name} up`}
                  disabled={index === 0}
                  onClick={() => labelled(`move “${c.name}” up`, () => moveCriterion(doc, c.id, index - 1))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className={smallBtn}
                  aria-label={`Move ${c.name} down`}
                  disabled={index === count - 1}
                  onClick={() => labelled(`move “${c.name}” down`, () => moveCriterion(doc, c.id, index + 1))}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className={`${smallBtn} text-red-700`}
                  aria-label={`Remove ${c.name}`}
                  onClick={() => {
                    if (window.confirm(`Remove the criterion “${c.name}” for everyone? You can undo it.`))
                      labelled(`remove “${c.name}”`, () => removeCriterion(doc, c.id), {
                        list: 'criteria',
                        id: c.id,
                      });
                  }}
                >
                  Remove
                </button>
              </div>
            )}
          </div>
          <WeightInput
            value={c.weight}
            share={totalWeight > 0 ? c.weight / totalWeight : 0}
            criterionName={c.name}
            readOnly={!structure}
            onChange={(weight) =>
              labelled(`weight of “${c.name}”`, () => updateCriterion(doc, c.id, { weight }))
            }
          />
          {options.map((o) => (
            <div
              key={o.id}
              className="min-w-0 rounded-lg bg-slate-50 p-2"
              data-testid={`cell-${c.id}-${o.id}`}
            >
              <div className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 md:hidden">
                {o.name || 'Unnamed option'}
              </div>
              {renderCell?.(c.id, o.id)}
            </div>
          ))}
        </div>
        <EvidencePanel
          criterion={c}
          options={options}
          sources={sources}
          addForm={renderEvidenceForm?.(c.id)}
        />
      </div>
    </li>
  );
});
