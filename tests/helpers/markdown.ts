import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';

/** The parts of an mdast node the record tests read. */
export interface MdNode {
  type: string;
  value?: string;
  depth?: number;
  url?: string;
  children?: MdNode[];
}

const processor = unified().use(remarkParse).use(remarkGfm);

/** Parses Markdown as GitHub does (GFM tables included). */
export function parse(markdown: string): MdNode {
  return processor.parse(markdown) as unknown as MdNode;
}

export function walk(node: MdNode, visit: (n: MdNode) => void): void {
  visit(node);
  for (const child of node.children ?? []) walk(child, visit);
}

export function nodesOfType(root: MdNode, type: string): MdNode[] {
  const found: MdNode[] = [];
  walk(root, (n) => {
    if (n.type === type) found.push(n);
  });
  return found;
}

/** Rendered text of a node; hard breaks count as newlines. */
export function textOf(node: MdNode): string {
  if (node.type === 'break') return '\n';
  if (node.value !== undefined) return node.value;
  return (node.children ?? []).map(textOf).join('');
}

/**
 * Splits off the YAML front matter of a decision record (remark without a front matter
 * plugin would read it as a heading). Every value is a JSON-compatible double-quoted
 * scalar or a bare ISO date. Throws on a malformed block.
 */
export function splitFrontMatter(markdown: string): { fields: Map<string, string>; body: string } {
  if (!markdown.startsWith('---\n')) throw new Error('no front matter');
  const end = markdown.indexOf('\n---\n', 4);
  if (end < 0) throw new Error('front matter is not closed');
  const fields = new Map<string, string>();
  for (const line of markdown.slice(4, end).split('\n')) {
    const match = /^([a-z-]+): (.*)$/.exec(line);
    if (!match) throw new Error(`front matter line: ${line}`);
    const [, key, raw] = match;
    fields.set(key!, /^\d{4}-\d{2}-\d{2}$/.test(raw!) ? raw! : (JSON.parse(raw!) as string));
  }
  return { fields, body: markdown.slice(end + 5) };
}
