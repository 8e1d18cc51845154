import assert from 'node:assert/strict';
import { EidfError } from '../../src/core/errors.ts';

/**
 * For assert.throws/rejects: an EidfError with `code`, a one-line message matching `pattern`,
 * and none of `secrets` in it.
 */
export function eidfError(code: string, pattern: RegExp, secrets: readonly string[] = []) {
  return (err: unknown): true => {
    assert.ok(err instanceof EidfError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'));
    for (const secret of secrets) assert.ok(!err.message.includes(secret), 'no secret in the message');
    return true;
  };
}
