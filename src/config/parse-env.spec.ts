import { parseEnv } from './parse-env.js';
import { EnvValidationError } from './env-validation.error.js';

const valid = {
  PUBLIC_URL: 'https://voice.example.com/',
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN: 's3cr3t-auth-token-value',
  RETELL_API_KEY: 'key_0123456789abcdef',
  RETELL_AGENT_ID: 'agent_1',
  API_TOKEN: 'tok-0123456789abcdef',
};

function errorOf(env: Record<string, string | undefined>): EnvValidationError {
  try {
    parseEnv(env);
  } catch (err) {
    if (err instanceof EnvValidationError) return err;
    throw err;
  }
  throw new Error('parseEnv accepted a bad environment');
}

describe(parseEnv.name, () => {
  it('applies defaults to a minimal environment', () => {
    const env = parseEnv(valid);
    expect(env).toMatchObject({
      PORT: 3000,
      PUBLIC_URL: 'https://voice.example.com',
      RETELL_BASE_URL: 'https://api.retellai.com',
      RETELL_SIP_DOMAIN: 'sip.retellai.com',
      RETELL_REGISTER_TIMEOUT_MS: 2000,
      MEDIA_MODE: 'fork',
      VAD_THREAD_PRIORITY: 'idle',
      LOG_LEVEL: 'info',
    });
    expect(env.FALLBACK_MESSAGE.length).toBeGreaterThan(10);
  });

  it('names every bad variable at once', () => {
    const err = errorOf({
      ...valid,
      PUBLIC_URL: undefined,
      PORT: 'eighty',
      MEDIA_MODE: 'relay',
      RETELL_REGISTER_TIMEOUT_MS: '60000',
    });
    expect(err.variables.sort()).toEqual(['AGENT_STREAM_URL', 'PORT', 'PUBLIC_URL', 'RETELL_REGISTER_TIMEOUT_MS']);
    expect(err.message).toContain('AGENT_STREAM_URL is required when MEDIA_MODE=relay');
    expect(err.message).toContain('PUBLIC_URL is required');
  });

  it('never prints a secret it rejects', () => {
    const err = errorOf({ ...valid, TWILIO_AUTH_TOKEN: 'short-secret', API_TOKEN: 'tiny-secret' });
    expect(err.variables.sort()).toEqual(['API_TOKEN', 'TWILIO_AUTH_TOKEN']);
    expect(err.message).not.toContain('short-secret');
    expect(err.message).not.toContain('tiny-secret');
  });

  it('rejects malformed phone numbers and URLs', () => {
    const err = errorOf({
      ...valid,
      FALLBACK_NUMBER: '555-1234',
      AGENT_STREAM_URL: 'http://x',
      TWILIO_ACCOUNT_SID: 'AC123',
    });
    expect(err.variables.sort()).toEqual(['AGENT_STREAM_URL', 'FALLBACK_NUMBER', 'TWILIO_ACCOUNT_SID']);
  });

  it('takes idle or normal for VAD_THREAD_PRIORITY, and names it otherwise', () => {
    expect(parseEnv({ ...valid, VAD_THREAD_PRIORITY: 'normal' }).VAD_THREAD_PRIORITY).toBe('normal');
    const err = errorOf({ ...valid, VAD_THREAD_PRIORITY: 'realtime' });
    expect(err.variables).toEqual(['VAD_THREAD_PRIORITY']);
    expect(err.message).toContain('VAD_THREAD_PRIORITY must be one of idle, normal');
  });

  it('takes memory:, file: and postgres URLs for DATABASE_URL, and names it otherwise without echoing it', () => {
    for (const ok of ['memory:', 'file:./x.sqlite', 'postgres://u:p@h/db', 'postgresql://h/db']) {
      expect(parseEnv({ ...valid, DATABASE_URL: ok }).DATABASE_URL).toBe(ok);
    }
    expect(parseEnv(valid).DATABASE_URL).toBeUndefined();
    const err = errorOf({ ...valid, DATABASE_URL: 'mysql://u:hunter2@h/db' });
    expect(err.message).toContain('DATABASE_URL');
    expect(err.message).not.toContain('hunter2');
  });

  it('treats empty values as unset', () => {
    expect(parseEnv({ ...valid, FALLBACK_NUMBER: '', TWILIO_API_BASE_URL: ' ' }).FALLBACK_NUMBER).toBeUndefined();
  });
});
