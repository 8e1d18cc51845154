import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_REFRESH_POLICY } from '../../src/core/refresh-policy.ts';
import { jwtExpiry } from '../../src/oidc/jwt-expiry.ts';
import type { TokenSet } from '../../src/oidc/types.ts';
import { HeldTokens } from '../../src/session/held-tokens.ts';

/**
 * Issue 11: the agent keeps when the refresh token stops working, where the IdP tells
 * (`refresh_expires_in`, or the `exp` of a JWT refresh token), for status's "next login needed by".
 */
const NOW = Date.UTC(2026, 11, 2, 12);
const jwt = (payload: object) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

function tokens(overrides: Partial<TokenSet> = {}): TokenSet {
  return {
    idToken: 'id',
    accessToken: 'at',
    refreshToken: 'rt-opaque',
    receivedAt: NOW,
    idTokenExpiresAt: NOW + 300_000,
    claims: { sub: 's', preferred_username: 'alice', email: undefined },
    ...overrides,
  };
}

describe('refresh token expiry', () => {
  it('jwtExpiry reads exp of a JWT, and nothing from an opaque or malformed token', () => {
    assert.equal(jwtExpiry(jwt({ exp: 1_800_000_000 })), 1_800_000_000_000);
    assert.equal(jwtExpiry('opaque-token'), undefined);
    assert.equal(jwtExpiry('a.!!!.c'), undefined);
    assert.equal(jwtExpiry(jwt({ sub: 'x' })), undefined);
    assert.equal(jwtExpiry(jwt({ exp: 'soon' })), undefined);
  });

  it('held from the token response; kept when the IdP does not rotate; read from the JWT it reuses', () => {
    const held = new HeldTokens(DEFAULT_REFRESH_POLICY);
    held.hold(tokens({ refreshTokenExpiresAt: NOW + 7 * 86_400_000 }), null, NOW, 0.5);
    assert.equal(held.refreshTokenExpiresAt, NOW + 7 * 86_400_000);
    assert.equal(held.refreshTokenExpirySlides, false);
    held.hold(tokens({ refreshToken: undefined }), 'rt-opaque', NOW + 60_000, 0.5);
    assert.equal(held.refreshTokenExpiresAt, NOW + 7 * 86_400_000, 'not rotated: the same limit');
    const fresh = new HeldTokens(DEFAULT_REFRESH_POLICY);
    fresh.hold(tokens({ refreshToken: undefined }), jwt({ exp: 1_800_000_000 }), NOW, 0.5);
    assert.equal(fresh.refreshTokenExpiresAt, 1_800_000_000_000);
    const silent = new HeldTokens(DEFAULT_REFRESH_POLICY);
    silent.hold(tokens(), null, NOW, 0.5);
    assert.equal(silent.refreshTokenExpiresAt, null, 'an opaque token and no refresh_expires_in: unknown');
  });

  it('a limit that moves later at a renewal is an idle limit (slides); a new login starts over; logout forgets', () => {
    const held = new HeldTokens(DEFAULT_REFRESH_POLICY);
    held.hold(tokens({ refreshTokenExpiresAt: NOW + 3_600_000 }), null, NOW, 0.5);
    held.hold(tokens({ refreshTokenExpiresAt: NOW + 3_600_000 }), 'rt-opaque', NOW + 60_000, 0.5);
    assert.equal(held.refreshTokenExpirySlides, false, 'the same limit again: a fixed one');
    held.hold(tokens({ refreshTokenExpiresAt: NOW + 3_900_000 }), 'rt-opaque', NOW + 300_000, 0.5);
    assert.equal(held.refreshTokenExpirySlides, true);
    held.hold(tokens({ refreshTokenExpiresAt: NOW + 9_000_000 }), null, NOW + 400_000, 0.5);
    assert.equal(held.refreshTokenExpirySlides, false);
    held.end(null);
    assert.equal(held.refreshTokenExpiresAt, null);
  });
});
