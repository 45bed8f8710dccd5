import { LIMITS } from './limits';
import { isEditorialCheck, templateEvidenceId, templateEvidenceIndex } from './template-evidence';
import { z } from './zod';

/**
 * Board templates are data: one JSON file per template in `lib/templates/`, validated
 * against `boardTemplateSchema`. Adding a comparison is adding a file; the server
 * discovers the files at start-up.
 */

const key = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'keys are lowercase letters, digits and dashes');
const text = (max: number) => z.string().trim().min(1).max(max);

export const templateSourceSchema = z.strictObject({
  id: key,
  title: text(LIMITS.MAX_TITLE_CHARS),
  /** A short name for the article where its title would be repeated after every claim ("Showdown"). */
  shortTitle: text(LIMITS.MAX_NAME_CHARS).optional(),
  publisher: text(LIMITS.MAX_NAME_CHARS).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  date: z.iso.date().optional(),
});

/** A claim taken from one of the template's articles. */
export const templateClaimSchema = z.strictObject({
  /**
   * Stable id, unique in the template and never reused (e.g. "showdown-3"); participants and the
   * decision record cite claims by it. Optional for hand-made templates: a missing id becomes
   * "<criterion key>-<position>", which changes when claims are reordered.
   */
  id: key.optional(),
  /** The option key the claim is about, or null when it compares the options. */
  option: key.nullable(),
  text: text(LIMITS.MAX_EVIDENCE_CHARS),
  source: key,
  /** Where the claim is in its article: the section heading, parent sections first, joined by " › ". */
  locator: text(LIMITS.MAX_TITLE_CHARS).optional(),
});

/** The board's own note on claims that are doubtful in themselves; never a claim of an article. */
export const templateEditorialCheckSchema = z.strictObject({
  id: key.optional(),
  option: key.nullable(),
  text: text(LIMITS.MAX_EVIDENCE_CHARS),
  editorial: z.strictObject({
    /** What the check rests on (a reference a participant can look up). */
    basis: text(LIMITS.MAX_EVIDENCE_CHARS),
    /** Ids of the claims it checks. */
    checks: z.array(key).min(1),
  }),
});

export const templateEvidenceSchema = z.union([templateClaimSchema, templateEditorialCheckSchema]);

/** A disagreement, told in `summary`, between the claims listed in `claims` (ids, at least two). */
export const templateContestedSchema = z.strictObject({
  summary: text(LIMITS.MAX_EVIDENCE_CHARS),
  claims: z.array(key).min(2),
});

export const templateCriterionSchema = z.strictObject({
  key,
  name: text(LIMITS.MAX_NAME_CHARS),
  description: z.string().trim().max(LIMITS.MAX_DESCRIPTION_CHARS),
  weight: z.number().int().min(LIMITS.MIN_WEIGHT).max(LIMITS.MAX_WEIGHT),
  evidence: z.array(templateEvidenceSchema).default([]),
  contested: templateContestedSchema.nullable().default(null),
});

export const templateOptionSchema = z.strictObject({
  key,
  name: z.string().trim().max(LIMITS.MAX_NAME_CHARS),
  description: z.string().trim().max(LIMITS.MAX_DESCRIPTION_CHARS),
});

export const boardTemplateSchema = z
  .object({
    id: key,
    /** Shown in the template picker. */
    label: text(LIMITS.MAX_NAME_CHARS),
    title: z.string().trim().max(LIMITS.MAX_TITLE_CHARS),
    question: z.string().trim().max(LIMITS.MAX_QUESTION_CHARS),
    context: z.string().trim().max(LIMITS.MAX_NOTES_CHARS).default(''),
    options: z.array(templateOptionSchema).max(LIMITS.MAX_OPTIONS),
    criteria: z.array(templateCriterionSchema).max(LIMITS.MAX_CRITERIA),
    sources: z.array(templateSourceSchema).default([]),
  })
  .superRefine((t, ctx) => {
    const optionKeys = new Set(t.options.map((o) => o.key));
    const sourceIds = new Set(t.sources.map((s) => s.id));
    const duplicates = (name: string, keys: string[]) => {
      if (new Set(keys).size !== keys.length)
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} keys must be unique` });
    };
    duplicates(
      'options',
      t.options.map((o) => o.key),
    );
    duplicates(
      'criteria',
      t.criteria.map((c) => c.key),
    );
    duplicates(
      'sources',
      t.sources.map((s) => s.id),
    );
    const claims = templateEvidenceIndex(t.criteria);
    const ids = t.criteria.flatMap((c) => c.evidence.map((e, i) => templateEvidenceId(c.key, i, e)));
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i)
        ctx.addIssue({ code: 'custom', path: ['criteria'], message: `evidence id "${id}" is used twice` });
    });
    /** Each id must name a claim from an article (not an editorial check), once. */
    const checkClaimIds = (list: string[], path: (string | number)[]) => {
      list.forEach((id, i) => {
        const found = claims.get(id);
        if (found === undefined || isEditorialCheck(found.item))
          ctx.addIssue({ code: 'custom', path: [...path, i], message: `no claim "${id}"` });
        if (list.indexOf(id) !== i)
          ctx.addIssue({ code: 'custom', path: [...path, i], message: `claim "${id}" is listed twice` });
      });
    };
    t.criteria.forEach((c, ci) => {
      c.evidence.forEach((e, ei) => {
        const path = ['criteria', ci, 'evidence', ei];
        if (e.option !== null && !optionKeys.has(e.option)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'option'],
            message: `unknown option "${e.option}"`,
          });
        }
        if (isEditorialCheck(e)) checkClaimIds(e.editorial.checks, [...path, 'editorial', 'checks']);
        else if (!sourceIds.has(e.source)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'source'],
            message: `unknown source "${e.source}"`,
          });
        }
      });
      if (c.contested) checkClaimIds(c.contested.claims, ['criteria', ci, 'contested', 'claims']);
    });
  });

export type BoardTemplate = z.infer<typeof boardTemplateSchema>;
export type TemplateCriterion = BoardTemplate['criteria'][number];
export type TemplateEvidence = z.infer<typeof templateEvidenceSchema>;
export type TemplateClaim = z.infer<typeof templateClaimSchema>;
export type TemplateEditorialCheck = z.infer<typeof templateEditorialCheckSchema>;

// The helpers that need no zod live in ./template-evidence, so the browser bundle (which
// reads boards, never validates templates) does not carry zod; re-exported for the server.
export { isEditorialCheck, templateEvidenceId, templateEvidenceIndex } from './template-evidence';
