import { LIMITS } from './limits';
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
  publisher: text(LIMITS.MAX_NAME_CHARS).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  date: z.iso.date().optional(),
});

export const templateClaimSchema = z.strictObject({
  /** The option key the claim is about, or null when it compares the options. */
  option: key.nullable(),
  text: text(LIMITS.MAX_EVIDENCE_CHARS),
  source: key,
});

export const templateContestedSchema = z.strictObject({
  summary: text(LIMITS.MAX_EVIDENCE_CHARS),
  sides: z.array(z.strictObject({ source: key, claim: text(LIMITS.MAX_EVIDENCE_CHARS) })).min(2),
});

export const templateCriterionSchema = z.strictObject({
  key,
  name: text(LIMITS.MAX_NAME_CHARS),
  description: z.string().trim().max(LIMITS.MAX_DESCRIPTION_CHARS),
  weight: z.number().int().min(LIMITS.MIN_WEIGHT).max(LIMITS.MAX_WEIGHT),
  evidence: z.array(templateClaimSchema).default([]),
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
    t.criteria.forEach((c, ci) => {
      c.evidence.forEach((e, ei) => {
        if (e.option !== null && !optionKeys.has(e.option)) {
          ctx.addIssue({
            code: 'custom',
            path: ['criteria', ci, 'evidence', ei, 'option'],
            message: `unknown option "${e.option}"`,
          });
        }
        if (!sourceIds.has(e.source)) {
          ctx.addIssue({
            code: 'custom',
            path: ['criteria', ci, 'evidence', ei, 'source'],
            message: `unknown source "${e.source}"`,
          });
        }
      });
      c.contested?.sides.forEach((s, si) => {
        if (!sourceIds.has(s.source)) {
          ctx.addIssue({
            code: 'custom',
            path: ['criteria', ci, 'contested', 'sides', si, 'source'],
            message: `unknown source "${s.source}"`,
          });
        }
      });
    });
  });

export type BoardTemplate = z.infer<typeof boardTemplateSchema>;
export type TemplateCriterion = BoardTemplate['criteria'][number];
