import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from './env.js';

const failure = (source: Record<string, string | undefined>): EnvError => {
  try {
    loadEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return error as EnvError;
  }
  throw new Error('loadEnv accepted an invalid configuration');
};

describe('loadEnv', () => {
  it('needs nothing: every setting has a default', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3000,
      PUBLIC_URL: 'http://localhost:3000',
      LOG_LEVEL: 'info',
      DATA_DIR: './data',
      DATABASE_POOL_MAX: 20,
      REQUIRE_EMAIL_VERIFICATION: false,
      SIGN_IN_RATE_LIMIT: 10,
      SERVE_WEB: true,
      TRUST_PROXY: false,
      BODY_LIMIT: 1_048_576,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SMTP_URL).toBeUndefined();
  });

  it('derives PUBLIC_URL from PORT, and keeps an explicit one', () => {
    expect(loadEnv({ PORT: '8080' }).PUBLIC_URL).toBe('http://localhost:8080');
    expect(loadEnv({ PORT: '8080', PUBLIC_URL: 'https://shop.example.com' }).PUBLIC_URL).toBe('https://shop.example.com');
  });

  it('coerces numbers and booleanish strings', () => {
    const env = loadEnv({ PORT: '0', DATABASE_POOL_MAX: '25', REQUIRE_EMAIL_VERIFICATION: 'yes', SERVE_WEB: '0', TRUST_PROXY: '1' });
    expect(env.PORT).toBe(0);
    expect(env.DATABASE_POOL_MAX).toBe(25);
    expect(env.REQUIRE_EMAIL_VERIFICATION).toBe(true);
    expect(env.SERVE_WEB).toBe(false);
    expect(env.TRUST_PROXY).toBe(true);
  });

  it('treats empty strings as unset, as .env files write them', () => {
    const env = loadEnv({ PORT: '', DATABASE_URL: '', SMTP_URL: '', REQUIRE_EMAIL_VERIFICATION: '' });
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SMTP_URL).toBeUndefined();
    expect(env.REQUIRE_EMAIL_VERIFICATION).toBe(false);
  });

  it('ignores variables it does not know', () => {
    expect(() => loadEnv({ PATH: '/usr/bin', HOME: '/root', SOMETHING_ELSE: 'x' })).not.toThrow();
  });

  it('lists every bad field at once, in one EnvError', () => {
    const error = failure({
      PORT: 'abc',
      DATABASE_URL: 'nope',
      SMTP_URL: 'http://x',
      REQUIRE_EMAIL_VERIFICATION: 'maybe',
      LOG_LEVEL: 'loud',
      ADMIN_EMAIL: 'not-an-email',
    });
    expect(error.message).toMatch(/^Invalid configuration:/);
    const lines = error.message.split('\n').slice(1);
    const fields = lines.map((line) => line.trim().split(':')[0]);
    expect(new Set(fields)).toEqual(
      new Set(['PORT', 'DATABASE_URL', 'SMTP_URL', 'REQUIRE_EMAIL_VERIFICATION', 'LOG_LEVEL', 'ADMIN_EMAIL']),
    );
    expect(error.message).toMatch(/SMTP_URL: must start with smtp:\/\/ or smtps:\/\//);
    // Good fields are not reported.
    expect(error.message).not.toMatch(/HOST|DATA_DIR/);
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_POOL_MAX', '0'],
    ['AUTH_SECRET', 'too-short'],
    ['ADMIN_PASSWORD', 'short'],
    ['BODY_LIMIT', '10'],
    ['NODE_ENV', 'staging'],
    ['PUBLIC_URL', 'shop.example.com'],
  ])('refuses %s=%s', (name, value) => {
    expect(failure({ [name]: value }).message).toContain(`${name}:`);
  });

  it('accepts smtps:// and a full DATABASE_URL', () => {
    const env = loadEnv({ SMTP_URL: 'smtps://user:pw@mail.example.com:465', DATABASE_URL: 'postgres://u:p@db:5432/mintreu' });
    expect(env.SMTP_URL).toBe('smtps://user:pw@mail.example.com:465');
    expect(env.DATABASE_URL).toBe('postgres://u:p@db:5432/mintreu');
  });
});
