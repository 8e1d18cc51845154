import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keychainError } from '../../src/store/keychain.ts';
import { interpret } from '../../src/store/secret-service-state.ts';

// Messages as @napi-rs/keyring 2.1.2 gives them on Linux (seen against gnome-keyring).
const cases: Array<[string, string]> = [
  ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'STORE_LOCKED'],
  ['zbus error: org.freedesktop.Secret.Error.IsLocked: Cannot get secret of a locked object', 'STORE_LOCKED'],
  [
    'Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply',
    'STORE_TIMEOUT',
  ],
  [
    'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
    'STORE_UNAVAILABLE',
  ],
  [
    'Platform failure: DBus error: Failed to connect to socket /run/user/1/bus: No such file or directory',
    'STORE_UNAVAILABLE',
  ],
  ["Couldn't access platform storage: Secret Service: no result found", 'STORE_UNAVAILABLE'],
];

for (const [message, code] of cases) {
  test(`addon error "${message.slice(0, 50)}…" becomes ${code}`, () => {
    const err = keychainError(`${message}\nsecond line`);
    assert.equal(err.code, code);
    assert.ok(!err.message.includes('\n'), 'one line');
  });
}

test('lock-state answers of dbus-send, gdbus and busctl are read', () => {
  const ok = (stdout: string) => interpret({ ok: true, timedOut: false, stdout, stderr: '' }).state;
  const failed = (stderr: string) => interpret({ ok: false, timedOut: false, stdout: '', stderr }).state;
  assert.equal(ok('   variant       boolean true\n'), 'locked');
  assert.equal(ok('(<false>,)\n'), 'unlocked');
  assert.equal(ok('b true\n'), 'locked');
  assert.equal(ok('something else'), 'unknown');
  assert.equal(
    failed(
      'Error org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
    ),
    'no-service',
  );
  assert.equal(
    failed(
      'Failed to open connection to "session" message bus: Failed to connect to socket /x/bus: No such file or directory',
    ),
    'no-service',
  );
  assert.equal(
    failed(
      'Error org.freedesktop.DBus.Error.UnknownMethod: Object does not exist at path “/org/freedesktop/secrets/collection/login”',
    ),
    'no-collection',
  );
  assert.equal(failed('Error org.freedesktop.DBus.Error.NoReply: Did not receive a reply.'), 'timeout');
  assert.equal(interpret({ ok: false, timedOut: true, stdout: '', stderr: '' }).state, 'timeout');
});
