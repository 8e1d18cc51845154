import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { b64, HOST, put, setupRig, tab, text, tree } from '../helpers/setup-rig.ts';

// Table: Docker's config.json before → after `setup`, and what was moved into the store.
const cases: Array<{
  name: string;
  before: string | null;
  after: string;
  saved: Array<[string, string]>;
  backup?: string;
}> = [
  {
    name: 'no file: created with only our entry',
    before: null,
    after: tab({ credHelpers: { [HOST]: 'eidf' } }) + '\n',
    saved: [],
  },
  {
    name: 'empty object',
    before: '{}',
    after: '{"credHelpers":{"registry.example.org":"eidf"}}',
    saved: [],
  },
  {
    name: 'plaintext auth moved out, credsStore and other registries kept, credHelpers appended last',
    before: tab({
      auths: { [HOST]: { auth: b64('alice:s3cret') }, 'other.io': { auth: b64('bob:x') } },
      credsStore: 'desktop',
      psFormat: 'table',
    }),
    after: tab({
      auths: { 'other.io': { auth: b64('bob:x') } },
      credsStore: 'desktop',
      psFormat: 'table',
      credHelpers: { [HOST]: 'eidf' },
    }),
    saved: [['alice', 's3cret']],
    backup: tab({ auths: { 'other.io': { auth: b64('bob:x') } }, credsStore: 'desktop', psFormat: 'table' }),
  },
  {
    name: 'https://host/v2/ key with username + password',
    before: tab({ auths: { [`https://${HOST}/v2/`]: { username: 'carol', password: 'pw1' } } }),
    after: tab({ auths: {}, credHelpers: { [HOST]: 'eidf' } }),
    saved: [['carol', 'pw1']],
    backup: tab({ auths: {} }),
  },
  {
    name: 'identitytoken moved as <token>',
    before: tab({ auths: { [`http://${HOST}/`]: { auth: b64('dave:'), identitytoken: 'idtok' } } }),
    after: tab({ auths: {}, credHelpers: { [HOST]: 'eidf' } }),
    saved: [['<token>', 'idtok']],
    backup: tab({ auths: {} }),
  },
  {
    name: 'another helper for our host replaced in place; other helpers and key order kept',
    before: tab({
      zeta: 1,
      credHelpers: { 'gcr.io': 'gcloud', [HOST]: 'secretservice', 'z.io': 'pass' },
      alpha: { nested: [1, 2.5, null] },
    }),
    after: tab({
      zeta: 1,
      credHelpers: { 'gcr.io': 'gcloud', [HOST]: 'eidf', 'z.io': 'pass' },
      alpha: { nested: [1, 2.5, null] },
    }),
    saved: [],
  },
  {
    name: 'the empty auths entry docker login writes is left alone',
    before: '{\n  "auths": {\n    "registry.example.org": {}\n  }\n}\n',
    after:
      '{\n  "auths": {\n    "registry.example.org": {}\n  },\n  "credHelpers": {\n    "registry.example.org": "eidf"\n  }\n}\n',
    saved: [],
  },
];

for (const c of cases) {
  test(`setup edits config.json: ${c.name}`, async (t) => {
    const rig = await setupRig(t);
    if (c.before !== null) await put(rig.dockerFile, c.before);
    const report = await rig.run();
    assert.equal(await text(rig.dockerFile), c.after);
    assert.deepEqual(
      rig.saved,
      c.saved.map(([username, secret]) => ({ registry: HOST, username, secret })),
    );
    const docker = report.files.find((f) => f.kind === 'docker')!;
    assert.equal(docker.action, 'wired');
    assert.equal(docker.movedCredential, c.saved.length > 0);
    if (c.before === null) {
      assert.equal(docker.backup, null);
      assert.equal(existsSync(`${rig.dockerFile}.eidf-backup`), false);
    } else {
      // The backup is the file as it was, minus the secret that went into the store.
      assert.equal(await text(`${rig.dockerFile}.eidf-backup`), c.backup ?? c.before);
      assert.equal((await stat(`${rig.dockerFile}.eidf-backup`)).mode & 0o777, 0o600);
    }
    for (const [, secret] of c.saved) {
      for (const line of rig.lines) assert.doesNotMatch(line, new RegExp(secret));
      assert.doesNotMatch(await text(rig.stateFile), new RegExp(secret));
    }
  });
}

test('both files are wired; the same secret in both is saved once and removed from both', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64('alice:pw') } } }));
  await put(
    rig.authFile,
    tab({ auths: { [`https://${HOST}`]: { auth: b64('alice:pw') }, 'quay.io': { auth: b64('q:q') } } }),
  );
  const report = await rig.run();
  assert.deepEqual(rig.saved, [{ registry: HOST, username: 'alice', secret: 'pw' }]);
  assert.equal(await text(rig.dockerFile), tab({ auths: {}, credHelpers: { [HOST]: 'eidf' } }));
  assert.equal(
    await text(rig.authFile),
    tab({ auths: { 'quay.io': { auth: b64('q:q') } }, credHelpers: { [HOST]: 'eidf' } }),
  );
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.file, f.action, f.movedCredential]),
    [
      ['docker', rig.dockerFile, 'wired', true],
      ['containers', rig.authFile, 'wired', true],
    ],
  );
});

test('a second run changes nothing, byte for byte (files, backups, state, inodes)', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64('alice:pw') } }, credsStore: 'desktop' }));
  await rig.run();
  const first = await tree(rig.dir);
  const report = await rig.run();
  assert.deepEqual(await tree(rig.dir), first);
  assert.equal(report.changed, false);
  assert.deepEqual(
    report.files.map((f) => f.action),
    ['already-wired', 'already-wired'],
  );
  assert.equal(rig.saved.length, 1);
});

test('file modes are kept; a missing folder is created 0700 and a new file 0600; no temp file is left', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, '{}', 0o644);
  await rig.run();
  assert.equal((await stat(rig.dockerFile)).mode & 0o777, 0o644);
  assert.equal((await stat(rig.authFile)).mode & 0o777, 0o600);
  assert.equal((await stat(dirname(rig.authFile))).mode & 0o777, 0o700);
  assert.equal((await stat(dirname(rig.stateFile))).mode & 0o777, 0o700);
  assert.equal((await stat(rig.stateFile)).mode & 0o777, 0o600);
  assert.deepEqual((await readdir(dirname(rig.dockerFile))).sort(), ['config.json', 'config.json.eidf-backup']);
  assert.deepEqual(await readdir(dirname(rig.authFile)), ['auth.json']);
});

test('REGISTRY_AUTH_FILE is honoured; without it and XDG_RUNTIME_DIR the containers file is skipped', async (t) => {
  const rig = await setupRig(t);
  const custom = `${rig.dir}/custom/auth.json`;
  await rig.run({ env: { ...rig.env, REGISTRY_AUTH_FILE: 'custom/auth.json' } });
  assert.equal(await text(custom), tab({ credHelpers: { [HOST]: 'eidf' } }) + '\n');
  assert.equal(existsSync(rig.authFile), false);

  const report = await rig.run({ env: { HOME: `${rig.dir}/home` }, registry: `https://${HOST}/` });
  assert.equal(await text(`${rig.dir}/home/.docker/config.json`), tab({ credHelpers: { [HOST]: 'eidf' } }) + '\n');
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.action]),
    [
      ['docker', 'wired'],
      ['containers', 'skipped'],
    ],
  );
  assert.ok(rig.lines.some((l) => /skipped \(neither REGISTRY_AUTH_FILE nor XDG_RUNTIME_DIR is set/.test(l)));
});

test('REGISTRY_AUTH_FILE naming Docker config.json: the file is edited once', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64('alice:pw') } } }));
  const report = await rig.run({ env: { ...rig.env, REGISTRY_AUTH_FILE: rig.dockerFile } });
  assert.deepEqual(
    report.files.map((f) => f.action),
    ['wired', 'same-file'],
  );
  assert.equal(await text(rig.dockerFile), tab({ auths: {}, credHelpers: { [HOST]: 'eidf' } }));
});
