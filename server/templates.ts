import fs from 'node:fs';
import path from 'node:path';
import { describeZodError } from '@/lib/protocol';
import { type BoardTemplate, boardTemplateSchema } from '@/lib/template';

/** Where template data files live: one JSON file per template, named `<id>.json`. */
export const TEMPLATES_DIR = path.resolve(import.meta.dirname, '../lib/templates');

/**
 * Reads and validates every template file. A broken file stops start-up with a message
 * naming the file and the problem, rather than failing later when someone picks it.
 */
export function loadTemplates(dir: string = TEMPLATES_DIR): Map<string, BoardTemplate> {
  const templates = new Map<string, BoardTemplate>();
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const raw: unknown = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const parsed = boardTemplateSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`template ${file} is invalid: ${describeZodError(parsed.error)}`);
    if (`${parsed.data.id}.json` !== file) throw new Error(`template ${file} has id "${parsed.data.id}"`);
    templates.set(parsed.data.id, parsed.data);
  }
  return templates;
}
