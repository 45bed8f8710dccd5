/**
 * Markdown safety: turning text a person typed into Markdown (and YAML front matter) that shows
 * exactly that text and nothing more. Whatever goes through these functions cannot open a heading,
 * a list or a code block, break a table row, inject HTML, smuggle in a non-http(s) link or reorder
 * the line with bidi controls.
 *
 * Pure string functions: no I/O. `URL` is the WHATWG global, available in browsers and Node alike.
 */

// C0/C1 controls (except whitespace, which is collapsed) and the explicit bidi embedding,
// override and isolate controls, which could visually reorder the rest of a line ("Trojan Source").
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
const UNWANTED_CHARS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const WHITESPACE_RUN = /[\s\u0085]+/g;
/** Any line break a person can type or paste, CRLF counted once; for `String.split`. */
export const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/** Characters with inline meaning in CommonMark/GFM (and `$` for GitHub math), and their escapes. */
const INLINE_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '`': '\\`',
  '*': '\\*',
  _: '\\_',
  '[': '\\[',
  ']': '\\]',
  '|': '\\|',
  '~': '\\~',
  $: '\\$',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};
const INLINE_SPECIAL = /[\\`*_[\]|~$&<>]/g;
/**
 * An http(s) URL in running text (trailing punctuation is trimmed off afterwards). Like GFM's
 * autolink literal it may follow anything but a letter; every such URL must become an explicit
 * link, or micromark would autolink it reading our escapes as part of the address.
 */
const URL_IN_TEXT = /(?<![A-Za-z])https?:\/\/[^\s<>]+/gi;

/** One line: lone surrogates replaced, control characters dropped, whitespace collapsed, trimmed. */
export function normalizeInline(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(UNWANTED_CHARS, '')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
}

function escapeCharacters(text: string): string {
  return (
    text
      .replace(INLINE_SPECIAL, (c) => INLINE_ESCAPES[c] ?? c)
      // "www." starts a GFM autolink literal that micromark reads raw, escapes included, so a
      // "www.x.com/a\_b" would link to a wrong address; an escaped dot leaves autolinking to
      // renderers that do it after unescaping.
      .replace(/(?<![A-Za-z0-9])(www)\./gi, '$1\\.')
  );
}

/** Escapes running text; a URL left here was not parseable, and must not be autolinked raw either. */
function escapeText(text: string): string {
  return escapeCharacters(text).replace(/(?<![A-Za-z])(https?):\/\//gi, '$1\\://');
}

/** User text as the label of a link we make: escaped like running text, but never linked itself. */
export function linkLabel(text: string): string {
  return escapeText(normalizeInline(text));
}

/** Drops trailing punctuation that ends a sentence rather than the URL (GFM's rule, roughly). */
function trimUrlToken(token: string): string {
  let end = token.length;
  while (end > 0) {
    const last = token[end - 1] ?? '';
    if ('.,:;!?\'"*_~'.includes(last)) {
      end -= 1;
      continue;
    }
    const pair = last === ')' ? '(' : last === ']' ? '[' : null;
    if (pair !== null) {
      const head = token.slice(0, end);
      if (head.split(pair).length < head.split(last).length) {
        end -= 1;
        continue;
      }
    }
    break;
  }
  return token.slice(0, end);
}

/**
 * The address to put in a link destination, or null when `raw` is not an absolute http(s) URL.
 * Characters that could end the `<…>` destination, escape inside it or split a table cell are
 * percent-encoded.
 */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href.replace(
    /[\\|`<>"\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** Neutralizes what would start a block (heading, list, quote, thematic break, setext underline). */
function neutralizeBlockStart(escaped: string): string {
  let out = /^[#+\-=]/.test(escaped) ? `\\${escaped}` : escaped.replace(/^(\d{1,9})([.)])/, '$1\\$2');
  // A trailing run of `#` after a space would be eaten as the closing sequence of a heading.
  out = out.replace(/(^|\s)(#+)$/, '$1\\$2');
  return out;
}

/**
 * Escapes user text for one line of Markdown: a paragraph, a list item, a heading or a table cell.
 *
 * Newlines become spaces; `\`, backticks, `*`, `_`, `[`, `]`, `|`, `~` and `$` are
 * backslash-escaped; `&`, `<`, `>` become entities (so no HTML survives); a leading `#`, `-`, `+`,
 * `=`, `1.` or `1)` is escaped so the text cannot open a heading, list or thematic break. Brackets
 * are escaped, so `[x](javascript:…)` stays text; http(s) URLs in the text become links to the
 * parsed address (any other scheme stays text). Control and bidi-override characters are dropped.
 * Rendered, the result shows the original text with whitespace collapsed.
 */
export function escapeMarkdownInline(text: string): string {
  const clean = normalizeInline(text);
  let out = '';
  let done = 0;
  for (const match of clean.matchAll(URL_IN_TEXT)) {
    const start = match.index;
    if (start < done) continue;
    const token = trimUrlToken(match[0]);
    const href = safeHref(token);
    if (href === null) continue;
    // A `!` right before the link's `[` would turn it into an image.
    out += escapeText(clean.slice(done, start)).replace(/!$/, '\\!');
    out += `[${escapeCharacters(token)}](<${href}>)`;
    done = start + token.length;
  }
  out += escapeText(clean.slice(done));
  return neutralizeBlockStart(out);
}

/**
 * Escapes user text for a GFM table cell: the same guarantees as `escapeMarkdownInline` — one
 * line, `|` escaped (also inside link text; link addresses have it percent-encoded), no HTML, no
 * code spans, no emphasis — so a row always has exactly the cells its header has.
 */
export function escapeTableCell(text: string): string {
  return escapeMarkdownInline(text);
}

/**
 * Escapes multi-line user text as paragraphs: blank lines separate paragraphs, other line breaks
 * become hard breaks, and every line is escaped like `escapeMarkdownInline` (so a typed "- item"
 * or "# title" line shows as text).
 */
export function escapeMarkdownBlock(text: string): string {
  const paragraphs: string[][] = [[]];
  for (const line of text.split(LINE_BREAK)) {
    const escaped = escapeMarkdownInline(line);
    const current = paragraphs[paragraphs.length - 1]!;
    if (escaped !== '') current.push(escaped);
    else if (current.length > 0) paragraphs.push([]);
  }
  return paragraphs
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\\\n'))
    .join('\n\n');
}

/**
 * A YAML double-quoted scalar on one line: JSON escapes, plus `\u` escapes for YAML's non-printable
 * characters and for `<` and `>` (the value reads back unchanged, and no tag appears in the file
 * for a renderer that shows front matter to trip over).
 */
export function yamlString(text: string): string {
  return JSON.stringify(normalizeInline(text)).replace(
    /[<>\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Free text with one entry per line (or comma-separated) as a single comma-separated line. */
export function joinLines(text: string): string {
  return text
    .split(LINE_BREAK)
    .map(normalizeInline)
    .filter((line) => line !== '')
    .join(', ');
}
