import assert from 'node:assert/strict';
import { EidfError } from '../../src/core/errors.ts';

/**
 * For assert.throws/rejects: an EidfError with `code`, a one-line message matching `message` (a string is
 * the exact message), none of `secrets` in it, and `reason` when one is given.
 */
export function eidfError(
  code: string,
  message: RegExp | string,
  secrets: readonly string[] = [],
  reason?: string,
): (err: unknown) => true {
  return (err: unknown): true => {
    assert.ok(err instanceof EidfError, String(err));
    assert.equal(err.code, code, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.ok(!err.message.includes('\n'), 'the message is one line');
    for (const secret of secrets) assert.ok(!err.message.includes(secret), 'no secret in the message');
    if (reason !== undefined) assert.equal(err.reason, reason);
    return true;
  };
}
