import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTemplates, TEMPLATES_DIR } from '@/server/templates';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dirWith(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), JSON.stringify(content));
  return dir;
}

const fastapiVsExpress = {
  id: 'fastapi-vs-express',
  label: 'FastAPI vs Express',
  title: 'FastAPI or Express',
  question: 'Which should we use?',
  options: [
    { key: 'fastapi', name: 'FastAPI', description: '' },
    { key: 'express', name: 'Express', description: '' },
  ],
  criteria: [
    {
      key: 'typing',
      name: 'Typing',
      description: 'Type checking of requests',
      weight: 3,
      evidence: [{ option: 'fastapi', text: 'Validates requests from type hints.', source: 'docs' }],
    },
  ],
  sources: [{ id: 'docs', title: 'Official docs' }],
};

describe('templates are data', () => {
  it('a new comparison is just a new file in the templates folder', () => {
    const templates = loadTemplates(dirWith({ 'fastapi-vs-express.json': fastapiVsExpress }));
    expect([...templates.keys()]).toEqual(['fastapi-vs-express']);
    expect(templates.get('fastapi-vs-express')?.criteria[0]?.evidence).toHaveLength(1);
  });

  it('the shipped folder holds the default and the blank template', () => {
    expect([...loadTemplates(TEMPLATES_DIR).keys()].sort()).toEqual(['blank', 'django-vs-node']);
  });

  it('a broken file stops loading with its name and the problem', () => {
    const broken = { ...fastapiVsExpress, criteria: [{ ...fastapiVsExpress.criteria[0], weight: 'high' }] };
    expect(() => loadTemplates(dirWith({ 'fastapi-vs-express.json': broken }))).toThrow(
      /fastapi-vs-express\.json.*weight/,
    );
  });

  it('a file whose id does not match its name is refused', () => {
    expect(() => loadTemplates(dirWith({ 'other.json': fastapiVsExpress }))).toThrow(/other\.json/);
  });
});
