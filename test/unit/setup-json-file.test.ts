import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectStyle, formatJson } from '../../src/setup/json-file.ts';

// Given a file as written by a tool, When it is parsed and formatted again unchanged, Then the bytes are the same.
const roundTrips: Array<{ name: string; text: string; indent: string }> = [
  {
    name: 'docker (tab, no trailing newline)',
    text: '{\n\t"auths": {\n\t\t"r.io": {}\n\t},\n\t"credsStore": "desktop"\n}',
    indent: '\t',
  },
  {
    name: 'two spaces with trailing newline',
    text: '{\n  "credHelpers": {\n    "r.io": "eidf"\n  }\n}\n',
    indent: '  ',
  },
  { name: 'one line', text: '{"credHelpers":{"r.io":"eidf"},"x":[1,2]}', indent: '' },
  { name: 'one line with trailing newline', text: '{"a":true}\n', indent: '' },
];

for (const c of roundTrips) {
  test(`detectStyle + formatJson round-trip: ${c.name}`, () => {
    const style = detectStyle(c.text);
    assert.equal(style.indent, c.indent);
    assert.equal(formatJson(JSON.parse(c.text), style), c.text);
  });
}
