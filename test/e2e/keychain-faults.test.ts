import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isolatedHome, runCli } from '../helpers/cli.ts';
import { startPrivateBus, startPrivateKeyring } from '../helpers/keyring.ts';
import { runInProcess } from '../helpers/headless.ts';

/** The helper as docker runs it, when the keychain is locked, missing, or not what was asked for. */
describe('keychain faults through the helper', () => {
  it('a locked keychain: store and get fail with one line saying locked, never "not found"', async () => {
    const keyring = await startPrivateKeyring({ locked: true });
    const ctx = isolatedHome({ ...keyring.env, EIDF_STORE: 'keychain' });
    ctx.env.EIDF_HOME = ctx.home; // keyring.env brings its own HOME; EIDF_HOME keeps our files apart
    try {
      const stored = await runCli(['store'], {
        env: ctx.env,
        input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
      });
      assert.equal(stored.code, 1);
      assert.match(stored.stdout, /^keychain is locked; unlock it .*\n$/);
      const got = await runCli(['get'], { env: ctx.env, input: 'reg.example' });
      assert.equal(got.code, 1);
      assert.match(got.stdout, /^keychain is locked; unlock it .*\n$/);
    } finally {
      await ctx.cleanup();
      await keyring.stop();
    }
  });

  it('EIDF_STORE=keychain with no Secret Service: every verb says why at once; status names the store', async () => {
    const bus = await startPrivateBus(); // a session bus without any Secret Service on it
    const ctx = isolatedHome({ ...bus.env, EIDF_STORE: 'keychain' });
    ctx.env.EIDF_HOME = ctx.home;
    try {
      const stored = await runCli(['store'], {
        env: ctx.env,
        input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
      });
      assert.equal(stored.code, 1);
      assert.match(stored.stdout, /^EIDF_STORE=keychain but keychain unavailable/);
      assert.doesNotMatch(stored.stdout, /agent did not start/);
      const status = await runInProcess(['status', '--json'], { env: ctx.env });
      const report = JSON.parse(status.stdout);
      assert.equal(report.store.kind, 'keychain');
      assert.match(report.store.reason, /^unusable: /);
    } finally {
      await ctx.cleanup();
      await bus.stop();
    }
  });

  it('EIDF_STORE=auto with no Secret Service: the 0600 file store, with one warning line in the agent log', async () => {
    const bus = await startPrivateBus();
    const ctx = isolatedHome({ ...bus.env, EIDF_STORE: 'auto' });
    ctx.env.EIDF_HOME = ctx.home;
    try {
      const stored = await runCli(['store'], {
        env: ctx.env,
        input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
      });
      assert.deepEqual(stored, { code: 0, stdout: '', stderr: '' });
      assert.equal(
        (await runCli(['get'], { env: ctx.env, input: 'reg.example' })).stdout,
        '{"ServerURL":"reg.example","Username":"u","Secret":"s"}\n',
      );
      const report = JSON.parse((await runInProcess(['status', '--json'], { env: ctx.env })).stdout);
      assert.equal(report.store.kind, 'file');
      assert.equal(report.store.path, join(ctx.home, 'secrets.json'));
      const warnings = readFileSync(join(ctx.home, 'agent.log'), 'utf8')
        .split('\n')
        .filter((line) => / warn no usable keychain/.test(line));
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0].includes(`secrets are kept in ${join(ctx.home, 'secrets.json')} (0600)`), warnings[0]);
      // The credential outlives the agent: it is in the file, not in the agent's memory.
      await runInProcess(['daemon', 'stop'], { env: ctx.env });
      assert.equal(
        (await runCli(['get'], { env: ctx.env, input: 'reg.example' })).stdout,
        '{"ServerURL":"reg.example","Username":"u","Secret":"s"}\n',
      );
    } finally {
      await ctx.cleanup();
      await bus.stop();
    }
  });

  it('EIDF_STORE=file with a corrupt secrets file: one line per verb, and the file is left as it was', async () => {
    const ctx = isolatedHome({ EIDF_STORE: 'file' });
    const file = join(ctx.home, 'secrets.json');
    writeFileSync(file, '{"version":1,"secrets":', { mode: 0o600 });
    try {
      const got = await runCli(['get'], { env: ctx.env, input: 'reg.example' });
      assert.equal(got.code, 1);
      assert.match(got.stdout, /^[^\n]*secrets\.json[^\n]*\n$/);
      const stored = await runCli(['store'], {
        env: ctx.env,
        input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
      });
      assert.equal(stored.code, 1);
      assert.equal(readFileSync(file, 'utf8'), '{"version":1,"secrets":');
    } finally {
      await ctx.cleanup();
    }
  });
});
