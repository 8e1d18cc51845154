import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliDeps } from '../../src/cli/deps.ts';
import { describeLogin, deviceLogin, qrCodeFor } from '../../src/cli/commands/device-login.ts';
import type { LoginResult } from '../../src/agent/api.ts';
import { useTimeZone } from '../helpers/time-zone.ts';
import { loadConfig } from '../../src/config.ts';
import type { AgentClient } from '../../src/agent/client/agent-client.ts';

/**
 * Issue 11: the device login's QR code comes first, compact (half blocks: two modules a character),
 * and is left out when the terminal is too small to show it with the URL still on screen.
 */
const URL_ = 'https://idp.example/device?user_code=ABCD-EFGH';

describe('device login screen', () => {
  const config = loadConfig(
    { EIDF_HOME: '/nonexistent-eidf-home', EIDF_REGISTRY: 'registry.example.org' },
    1000,
    () => undefined,
  );

  const login = async (stderr: { isTTY: boolean; columns?: number; rows?: number }) => {
    let text = '';
    const agent = {
      call: async (endpoint: string) => {
        if (endpoint === 'POST /v1/session/login')
          return {
            joined: false,
            prompt: {
              verification_uri: 'https://idp.example/device',
              verification_uri_complete: URL_,
              user_code: 'ABCD-EFGH',
              expires_at: new Date(Date.now() + 600_000).toISOString(),
            },
          };
        if (endpoint === 'POST /v1/session/login/wait') return { session: {}, registrySecret: {} };
        return {};
      },
    } as unknown as AgentClient;
    const deps = {
      env: {},
      platform: 'linux',
      clock: { now: () => Date.now() },
      stderr: { write: (t: string) => void (text += t), ...stderr },
    } as unknown as CliDeps;
    await deviceLogin(agent, deps, config, { browser: false, signal: new AbortController().signal });
    return text;
  };

  it('an 80×24 terminal: the compact QR code first, then the URL and the code, all on screen', async () => {
    const text = await login({ isTTY: true, columns: 80, rows: 24 });
    const lines = text.trimEnd().split('\n');
    const qrLines = lines.filter((line) => /[▀▄█]/.test(line));
    assert.ok(qrLines.length > 10 && qrLines.length <= 20, `a compact QR code (${qrLines.length} lines)`);
    assert.ok(lines.findIndex((l) => /[▀▄█]/.test(l)) === 0, 'the QR code comes first');
    const urlAt = lines.indexOf(`  ${URL_}`);
    assert.ok(urlAt > lines.findLastIndex((l) => /[▀▄█]/.test(l)), 'the URL comes after the QR code');
    assert.match(text, /scan the QR code or open:\n/);
    assert.match(text, /and check that it shows the code: ABCD-EFGH\n/);
    assert.ok(lines.length <= 24, `everything fits in 24 rows (${lines.length})`);
  });

  it('a terminal too short or too narrow for it: no QR code, the URL and the code only', async () => {
    for (const size of [
      { columns: 80, rows: 15 },
      { columns: 20, rows: 50 },
    ]) {
      const text = await login({ isTTY: true, ...size });
      assert.doesNotMatch(text, /[▀▄█]/, `no QR code at ${size.columns}×${size.rows}`);
      assert.match(
        text,
        /^To log in to registry\.example\.org, open:\n {2}https:\/\/idp\.example\/device\?user_code=ABCD-EFGH\n/,
      );
    }
  });

  it('not a terminal: no QR code; a terminal that does not say its size: the QR code', async () => {
    assert.equal(await qrCodeFor(URL_, { write() {}, isTTY: false }), undefined);
    assert.match((await qrCodeFor(URL_, { write() {}, isTTY: true })) ?? '', /▀/);
  });
});

describe('the line after a device login', () => {
  useTimeZone('UTC');
  const now = Date.UTC(2026, 11, 2, 12);
  const result = (refreshTokenExpiresAt: string | null) =>
    ({
      session: { username: 'alice', refreshTokenExpiresAt },
      registrySecret: { state: 'valid', username: 'alice', mode: 'oidc' },
    }) as unknown as LoginResult;

  it('says until when, relative and local, where the IdP tells; no ISO instant', () => {
    assert.deepEqual(describeLogin(result(new Date(now + 3_600_000).toISOString()), now), [
      'logged in as alice; the session renews itself (next login needed by Wed 2 Dec 2026, 13:00, in 1 h, unless the IdP extends it)',
      'registry secret: valid for Harbor user alice (read from Harbor)',
    ]);
    assert.equal(
      describeLogin(result(null), now)[0],
      'logged in as alice; the session renews itself (the IdP does not say until when)',
    );
  });
});
