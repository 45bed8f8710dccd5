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
