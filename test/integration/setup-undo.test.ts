import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readlink, symlink } from 'node:fs/promises';
import { b64, HOST, put, setupRig, tab, text, tree } from '../helpers/setup-rig.ts';

test('undo restores the previous helper, keeps credsStore and every other key, and does not write the secret back', async (t) => {
  const rig = await setupRig(t);
  // Given a config with another helper for our host, a credsStore and a plaintext secret
  await put(
    rig.dockerFile,
    tab({
      credsStore: 'desktop',
      credHelpers: { [HOST]: 'secretservice', 'gcr.io': 'gcloud' },
      auths: { [HOST]: { auth: b64('al:pw') } },
    }),
  );
  // When setup runs, then undo
  await rig.run();
  assert.equal(
    await text(rig.dockerFile),
    tab({ credsStore: 'desktop', credHelpers: { [HOST]: 'eidf', 'gcr.io': 'gcloud' }, auths: {} }),
  );
  const report = await rig.run({ undo: true });
  // Then the wiring is as before, minus the secret (which stays in the store)
  assert.equal(
    await text(rig.dockerFile),
    tab({ credsStore: 'desktop', credHelpers: { [HOST]: 'secretservice', 'gcr.io': 'gcloud' }, auths: {} }),
  );
  // and the containers file setup created, holding nothing else now, is gone with the folders setup made for it
  assert.equal(existsSync(rig.authFile), false);
  assert.equal(existsSync(rig.env.XDG_RUNTIME_DIR), false);
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.action, f.helperBefore, f.helperAfter]),
    [
      ['docker', 'restored', 'eidf', 'secretservice'],
      ['containers', 'removed', 'eidf', null],
    ],
  );
  assert.equal(existsSync(rig.stateFile), false);
  assert.ok(rig.lines.some((l) => /undo does not write secrets back/.test(l)));
});

test('setup then undo gives back the exact bytes when there was no secret', async (t) => {
  const rig = await setupRig(t);
  const before = tab({ auths: { 'quay.io': {} }, credHelpers: { 'gcr.io': 'gcloud' }, experimental: 'enabled' });
  await put(rig.dockerFile, before);
  await put(rig.authFile, '{}');
  await rig.run();
  await rig.run({ undo: true });
  assert.equal(await text(rig.dockerFile), before);
  assert.equal(await text(rig.authFile), '{}');
});

test('a second undo changes nothing', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ credHelpers: { [HOST]: 'pass' } }));
  await rig.run();
  await rig.run({ undo: true });
  const after = await tree(rig.dir);
  const report = await rig.run({ undo: true });
  assert.deepEqual(await tree(rig.dir), after);
  assert.equal(report.changed, false);
  assert.deepEqual(
    report.files.map((f) => f.action),
    ['left-as-is', 'left-as-is'],
  );
});

test('undo without a prior setup removes only an "eidf" entry', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ credHelpers: { [HOST]: 'eidf', 'x.io': 'eidf' } }));
  const auth = tab({ credHelpers: { [HOST]: 'secretservice' } });
  await put(rig.authFile, auth);
  const report = await rig.run({ undo: true });
  assert.equal(await text(rig.dockerFile), tab({ credHelpers: { 'x.io': 'eidf' } }));
  assert.equal(await text(rig.authFile), auth);
  assert.deepEqual(
    report.files.map((f) => [f.action, f.note]),
    [
      ['removed', null],
      ['left-as-is', `credHelpers["${HOST}"] is "secretservice", not "eidf"`],
    ],
  );
});

test('undo leaves a helper the user changed after setup alone, and forgets the record', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, '{}');
  await rig.run();
  const changedByUser = tab({ credHelpers: { [HOST]: 'pass' } });
  await put(rig.dockerFile, changedByUser);
  const report = await rig.run({ undo: true });
  assert.equal(await text(rig.dockerFile), changedByUser);
  assert.equal(report.files[0].action, 'left-as-is');
  assert.equal(existsSync(rig.stateFile), false);
});

test('setup after the user rewired the host records the new previous helper; undo restores that one', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ credHelpers: { [HOST]: 'secretservice' } }));
  await rig.run();
  await put(rig.dockerFile, tab({ credHelpers: { [HOST]: 'pass' } }));
  await rig.run();
  await rig.run({ undo: true });
  assert.equal(await text(rig.dockerFile), tab({ credHelpers: { [HOST]: 'pass' } }));
});

test('undo also reverts a file setup wired under other settings (recorded in the state file)', async (t) => {
  const rig = await setupRig(t);
  const custom = `${rig.dir}/elsewhere/auth.json`;
  await put(custom, tab({ credHelpers: { [HOST]: 'secretservice' } }));
  await rig.run({ env: { ...rig.env, REGISTRY_AUTH_FILE: custom } });
  const report = await rig.run({ undo: true });
  assert.equal(await text(custom), tab({ credHelpers: { [HOST]: 'secretservice' } }));
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.action]),
    [
      ['docker', 'removed'],
      ['containers', 'left-as-is'],
      ['recorded', 'restored'],
    ],
  );
});

test('a symlinked config.json: the target is edited, the link kept, the backup sits next to the link', async (t) => {
  const rig = await setupRig(t);
  const target = `${rig.dir}/dotfiles/docker.json`;
  await put(target, tab({ credHelpers: { [HOST]: 'pass' } }), 0o640);
  await put(rig.authFile, '{}');
  await mkdir(rig.env.DOCKER_CONFIG);
  await symlink('../dotfiles/docker.json', rig.dockerFile);
  await rig.run();
  assert.ok((await lstat(rig.dockerFile)).isSymbolicLink());
  assert.equal(await readlink(rig.dockerFile), '../dotfiles/docker.json');
  assert.equal(await text(target), tab({ credHelpers: { [HOST]: 'eidf' } }));
  assert.equal(((await lstat(target)).mode & 0o777).toString(8), '640');
  assert.equal(await text(`${rig.dockerFile}.eidf-backup`), tab({ credHelpers: { [HOST]: 'pass' } }));
  assert.equal(existsSync(`${target}.eidf-backup`), false);
  await rig.run({ undo: true });
  assert.ok((await lstat(rig.dockerFile)).isSymbolicLink());
  assert.equal(await text(target), tab({ credHelpers: { [HOST]: 'pass' } }));
});
