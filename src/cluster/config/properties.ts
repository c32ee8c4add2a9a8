/**
 * A reader for Java `.properties` files, following the rules of `java.util.Properties.load`:
 *
 * - natural lines end in `\n`, `\r` or `\r\n`; leading whitespace (space, tab, form feed) is skipped;
 * - a line whose first non-blank character is `#` or `!` is a comment (a comment never continues);
 * - a logical line continues onto the next natural line when it ends in an odd number of
 *   backslashes; the leading whitespace of the continuation line is dropped;
 * - the key ends at the first unescaped `=`, `:` or whitespace; whitespace around one `=` or `:`
 *   separator is skipped, the rest of the line (trailing whitespace included) is the value;
 * - escapes: `\t \n \r \f`, `\uXXXX`, and `\` before any other character yields that character;
 * - a key given twice keeps the last value.
 *
 * One deliberate difference: Java's `load(InputStream)` decodes bytes as ISO-8859-1; we take the
 * text as already decoded (callers read files as UTF-8, which is what people write today).
 */
import { ConfigError } from './errors.js';

/** One property with the line (1-based) where its logical line starts. */
export interface PropertyEntry {
  value: string;
  line: number;
}

const WHITESPACE = new Set([' ', '\t', '\f']);

/** Parses `.properties` text into a map of key → value (insertion order = first appearance). */
export function parseProperties(text: string, sourceName = 'properties'): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, entry] of parsePropertiesWithLines(text, sourceName)) out.set(key, entry.value);
  return out;
}

/** As {@link parseProperties}, keeping the line number of every property for error messages. */
export function parsePropertiesWithLines(text: string, sourceName = 'properties'): Map<string, PropertyEntry> {
  const out = new Map<string, PropertyEntry>();
  const lines = text.split(/\r\n|\r|\n/);
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    let line = stripLeading(lines[i]!);
    i++;
    if (line.length === 0) continue;
    if (line[0] === '#' || line[0] === '!') continue;
    // Join continuation lines: an odd count of trailing backslashes means "continues".
    let logical = '';
    for (;;) {
      if (endsWithOddBackslashes(line)) {
        logical += line.slice(0, -1);
        if (i >= lines.length) break; // a backslash at end of input is dropped, as Java does
        line = stripLeading(lines[i]!);
        i++;
      } else {
        logical += line;
        break;
      }
    }
    const { key, value } = splitKeyValue(logical, sourceName, startLine);
    out.delete(key); // a repeated key moves to its last position, and its last value wins
    out.set(key, { value, line: startLine });
  }
  return out;
}

function stripLeading(s: string): string {
  let j = 0;
  while (j < s.length && WHITESPACE.has(s[j]!)) j++;
  return s.slice(j);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function splitKeyValue(logical: string, sourceName: string, line: number): { key: string; value: string } {
  let j = 0;
  let keyEnd = logical.length;
  let valueStart = logical.length;
  while (j < logical.length) {
    const c = logical[j]!;
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '=' || c === ':') {
      keyEnd = j;
      valueStart = j + 1;
      break;
    }
    if (WHITESPACE.has(c)) {
      keyEnd = j;
      valueStart = j + 1;
      // After whitespace, one '=' or ':' may still follow as the separator.
      while (valueStart < logical.length && WHITESPACE.has(logical[valueStart]!)) valueStart++;
      if (valueStart < logical.length && (logical[valueStart] === '=' || logical[valueStart] === ':')) valueStart++;
      break;
    }
    j++;
  }
  while (valueStart < logical.length && WHITESPACE.has(logical[valueStart]!)) valueStart++;
  return {
    key: unescape(logical.slice(0, keyEnd), sourceName, line),
    value: unescape(logical.slice(valueStart), sourceName, line),
  };
}

function unescape(s: string, sourceName: string, line: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    j++;
    if (j >= s.length) break; // a lone trailing backslash is dropped
    const e = s[j]!;
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = s.slice(j + 1, j + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ConfigError(
            `${sourceName} line ${line}: malformed \\uXXXX escape '\\u${hex}' (expected four hex digits)`,
          );
        }
        out += String.fromCharCode(parseInt(hex, 16));
        j += 4;
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}
