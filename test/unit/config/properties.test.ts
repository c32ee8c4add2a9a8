import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties, parsePropertiesWithLines } from '../../../src/cluster/config/properties.js';
import { ConfigError } from '../../../src/cluster/config/errors.js';

const obj = (text: string): Record<string, string> => Object.fromEntries(parseProperties(text));

test('separators: =, :, whitespace, and whitespace around them', () => {
  assert.deepEqual(obj('a=1\nb: 2\nc 3\nd = 4\ne\t:\t5\nf   =6'), { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' });
});

test('only the first separator splits; later = and : belong to the value', () => {
  assert.deepEqual(obj('listeners=PLAINTEXT://127.0.0.1:9092\nx=a=b'), { listeners: 'PLAINTEXT://127.0.0.1:9092', x: 'a=b' });
});

test('comments with # and ! (after leading whitespace), blank lines', () => {
  assert.deepEqual(obj('# comment\n  ! also a comment\n\n   \nkey=value # not a comment\n'), { key: 'value # not a comment' });
});

test('a key alone has an empty value; an empty value after = is empty', () => {
  assert.deepEqual(obj('alone\nempty=\nspaced =   '), { alone: '', empty: '', spaced: '' });
});

test('leading whitespace of the value is dropped, trailing whitespace is kept', () => {
  assert.equal(parseProperties('k =   v  ').get('k'), 'v  ');
});

test('line continuation joins lines and drops the next line\'s leading whitespace', () => {
  const text = 'log.dirs=/a,\\\n    /b,\\\n\t/c\nnext=1';
  assert.deepEqual(obj(text), { 'log.dirs': '/a,/b,/c', next: '1' });
});

test('an even number of trailing backslashes does not continue the line', () => {
  assert.deepEqual(obj('a=x\\\\\nb=y'), { a: 'x\\', b: 'y' });
});

test('a continuation into a line starting with # keeps it (it is not a comment there)', () => {
  assert.deepEqual(obj('a=1\\\n# two\nb=2'), { a: '1# two', b: '2' });
});

test('a comment ending in a backslash does not continue', () => {
  assert.deepEqual(obj('# comment \\\nkey=value'), { key: 'value' });
});

test('a backslash at end of input is dropped', () => {
  assert.deepEqual(obj('a=1\\'), { a: '1' });
});

test('escapes: \\t \\n \\r \\f \\uXXXX, escaped separators in keys, other escaped chars', () => {
  const m = parseProperties('tabs=a\\tb\\nc\\rd\\fe\nuni=\\u00e9\\u4E2D\nmy\\=key=v\nsp\\ ace=w\nco\\:lon:z\nother=\\q\\\\');
  assert.equal(m.get('tabs'), 'a\tb\nc\rd\fe');
  assert.equal(m.get('uni'), 'é中');
  assert.equal(m.get('my=key'), 'v');
  assert.equal(m.get('sp ace'), 'w');
  assert.equal(m.get('co:lon'), 'z');
  assert.equal(m.get('other'), 'q\\');
});

test('malformed \\u escape is a ConfigError naming the line', () => {
  assert.throws(
    () => parseProperties('ok=1\nbad=\\u12G4', 'server.properties'),
    (err: unknown) => err instanceof ConfigError && /server\.properties line 2/.test(err.message) && /\\u12G4/.test(err.message),
  );
});

test('CRLF and CR line endings', () => {
  assert.deepEqual(obj('a=1\r\nb=2\rc=3\r\n'), { a: '1', b: '2', c: '3' });
});

test('a repeated key keeps the last value', () => {
  assert.deepEqual(obj('a=1\nb=2\na=3'), { b: '2', a: '3' });
});

test('non-ASCII text passes through (files are read as UTF-8)', () => {
  assert.equal(parseProperties('name=Zürich ✓').get('name'), 'Zürich ✓');
});

test('line numbers point at the start of the logical line', () => {
  const m = parsePropertiesWithLines('# header\n\na=1\nb=x,\\\n  y\nc=3');
  assert.equal(m.get('a')!.line, 3);
  assert.equal(m.get('b')!.line, 4);
  assert.equal(m.get('b')!.value, 'x,y');
  assert.equal(m.get('c')!.line, 6);
});
