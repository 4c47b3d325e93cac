import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_CONFIG } from './adapters/risk/risk-config.ts';
import { ConfigError, loadConfig } from './config.ts';

const KEY = 'projects/p1/locations/europe-west1/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions';

/** The smallest valid local environment. */
const local = {
  GOOGLE_CLOUD_PROJECT: 'demo-iam',
  IAM_ISSUER: 'http://127.0.0.1:8080',
  IAM_SIGNER: 'local',
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:8181',
};

/** The smallest valid production environment. */
const kms = {
  GOOGLE_CLOUD_PROJECT: 'melmastoon-prod',
  IAM_ISSUER: 'https://id.melmastoon.com/',
  IAM_SIGNER: 'kms',
  IAM_KMS_KEY_CURRENT: `${KEY}/3`,
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses a local environment, filling the non-secret defaults', () => {
    expect(loadConfig(local)).toEqual({
      projectId: 'demo-iam',
      issuer: 'http://127.0.0.1:8080',
      publicOrigin: 'http://127.0.0.1:8080',
      audience: 'melmastoon',
      signer: { kind: 'local' },
      databases: { eu: 'iam-eu', me: 'iam-me', us: 'iam-us' },
      platformDatabase: '(default)',
      eventsTopic: 'iam-events',
      emulators: { firestore: '127.0.0.1:8181', pubsub: undefined },
      logLevel: 'INFO',
      passwordHashVersion: 1,
      secrets: { kind: 'secret-manager', endpoint: undefined },
      bootstrapSecretName: 'iam-bootstrap-admin',
      breachList: { kind: 'hibp', baseUrl: undefined },
      trustedProxies: ['127.0.0.1/32', '::1/128'],
      ipReputation: { bad: [], good: [] },
      magicLinkUrl: 'http://127.0.0.1:8080/magic-link',
      mailer: 'dev-mailbox',
      risk: DEFAULT_RISK_CONFIG,
    });
  });

  it('reads the adaptive-MFA settings and refuses bad ones (IAM_RISK_*)', () => {
    expect(loadConfig({ ...local, IAM_RISK_CLASSIFIER_URL: 'http://127.0.0.1:9/classify' }).risk.classifier).toEqual({ url: 'http://127.0.0.1:9/classify', timeoutMs: 300 });
    expect(configError({ ...local, IAM_RISK_CACHE_SECONDS: 'soon' }).message).toMatch(/IAM_RISK_CACHE_SECONDS/);
  });

  it('reads the password hash version and the secret source', () => {
    const dev = loadConfig({ ...local, IAM_PASSWORD_HASH_VERSION: '3', IAM_LOCAL_SECRETS_DIR: '.local/secrets', IAM_BOOTSTRAP_SECRET_NAME: 'boot' });
    expect(dev.passwordHashVersion).toBe(3);
    expect(dev.secrets).toEqual({ kind: 'local', dir: '.local/secrets' });
    expect(dev.bootstrapSecretName).toBe('boot');
    expect(loadConfig({ ...kms, IAM_SECRET_MANAGER_ENDPOINT: '127.0.0.1:9999' }).secrets).toEqual({ kind: 'secret-manager', endpoint: '127.0.0.1:9999' });
    // Secrets in plain files only beside the emulator.
    expect(configError({ ...kms, IAM_LOCAL_SECRETS_DIR: '/tmp/s' }).message).toContain('IAM_LOCAL_SECRETS_DIR is allowed only with FIRESTORE_EMULATOR_HOST');
    for (const bad of ['0', '-1', '1.5', 'x']) expect(configError({ ...local, IAM_PASSWORD_HASH_VERSION: bad }).message).toContain('IAM_PASSWORD_HASH_VERSION');
    expect(configError({ ...local, IAM_BOOTSTRAP_SECRET_NAME: 'a/b' }).message).toContain('IAM_BOOTSTRAP_SECRET_NAME');
  });

  it('reads the breach list choice', () => {
    expect(loadConfig({ ...local, IAM_HIBP_BASE_URL: 'http://127.0.0.1:9' }).breachList).toEqual({ kind: 'hibp', baseUrl: 'http://127.0.0.1:9' });
    expect(loadConfig({ ...kms, IAM_BREACH_LIST: 'offline', IAM_BREACH_LIST_PATH: '/srv/pwned' }).breachList).toEqual({ kind: 'offline', path: '/srv/pwned' });
    expect(configError({ ...kms, IAM_BREACH_LIST: 'offline' }).message).toContain('IAM_BREACH_LIST=offline needs IAM_BREACH_LIST_PATH');
    expect(configError({ ...kms, IAM_BREACH_LIST: 'none' }).message).toContain('IAM_BREACH_LIST');
  });

  it('reads trusted proxies, IP lists, the magic link URL and the mailer (login)', () => {
    const c = loadConfig({
      ...local,
      IAM_TRUSTED_PROXIES: '35.191.0.0/16, 130.211.0.0/22',
      IAM_IP_DENYLIST: '203.0.113.0/24',
      IAM_IP_ALLOWLIST: '198.51.100.7',
      IAM_MAGIC_LINK_URL: 'https://app.example.com/login/magic',
      IAM_MAILER: 'none',
    });
    expect(c.trustedProxies).toEqual(['35.191.0.0/16', '130.211.0.0/22']);
    expect(c.ipReputation).toEqual({ bad: ['203.0.113.0/24'], good: ['198.51.100.7/32'] });
    expect(c.magicLinkUrl).toBe('https://app.example.com/login/magic');
    expect(c.mailer).toBe('none');
    expect(loadConfig(kms).mailer).toBe('none');
    expect(configError({ ...local, IAM_TRUSTED_PROXIES: '10.0.0.0/33' }).message).toMatch(/IAM_TRUSTED_PROXIES: not a CIDR/);
    expect(configError({ ...local, IAM_IP_DENYLIST: 'evil.example' }).message).toMatch(/IAM_IP_DENYLIST/);
    expect(configError({ ...kms, IAM_MAILER: 'dev-mailbox' }).message).toMatch(/only with FIRESTORE_EMULATOR_HOST/);
  });

  it('parses a production environment with KMS keys', () => {
    const config = loadConfig({ ...kms, IAM_KMS_KEY_NEXT: `${KEY}/4`, IAM_KMS_KEY_PREVIOUS: `${KEY}/2`, LOG_LEVEL: 'WARNING' });
    expect(config.signer).toEqual({ kind: 'kms', current: `${KEY}/3`, next: `${KEY}/4`, previous: `${KEY}/2`, endpoint: undefined });
    // The trailing slash is dropped: `iss` must compare exactly.
    expect(config.issuer).toBe('https://id.melmastoon.com');
    expect(config.publicOrigin).toBe('https://id.melmastoon.com');
    expect(config.emulators).toEqual({ firestore: undefined, pubsub: undefined });
    expect(config.logLevel).toBe('WARNING');
  });

  it('ignores variables it does not know (the platform sets many)', () => {
    expect(() => loadConfig({ ...local, K_SERVICE: 'token', PORT: '8080', HOME: '/root' })).not.toThrow();
  });

  it('takes the public origin from IAM_PUBLIC_ORIGIN when given', () => {
    expect(loadConfig({ ...local, IAM_PUBLIC_ORIGIN: 'https://127.0.0.1:8443/some/path' }).publicOrigin).toBe('https://127.0.0.1:8443');
  });

  describe('fails fast with a clear message', () => {
    it.each(['GOOGLE_CLOUD_PROJECT', 'IAM_ISSUER', 'IAM_SIGNER'])('when %s is missing', (name) => {
      const env: Record<string, string | undefined> = { ...local };
      delete env[name];
      expect(configError(env).message).toBe(`invalid configuration: '${name}' is required`);
    });

    it('names every missing variable of an empty environment', () => {
      const message = configError({}).message;
      for (const name of ['GOOGLE_CLOUD_PROJECT', 'IAM_ISSUER', 'IAM_SIGNER']) expect(message).toContain(`'${name}' is required`);
    });

    it.each([
      ['IAM_ISSUER', 'not a url'],
      ['IAM_ISSUER', 'javascript:alert(1)'],
      ['IAM_PUBLIC_ORIGIN', 'ftp://example.com'],
      ['IAM_SIGNER', 'hsm'],
      ['FIRESTORE_EMULATOR_HOST', 'localhost'],
      ['PUBSUB_EMULATOR_HOST', 'http://127.0.0.1:8085'],
      ['LOG_LEVEL', 'TRACE'],
      ['IAM_EVENTS_TOPIC', 'x'],
      ['GOOGLE_CLOUD_PROJECT', ''],
    ])('when %s is %j, naming the variable but not echoing the value', (name, value) => {
      const message = configError({ ...local, [name]: value }).message;
      expect(message).toMatch(new RegExp(`^invalid configuration: '${name}' is invalid`));
      if (value.length > 3) expect(message).not.toContain(value);
    });

    it('refuses the local signer without the Firestore emulator (it keeps private keys in Firestore)', () => {
      const { FIRESTORE_EMULATOR_HOST: _omitted, ...withoutEmulator } = local;
      expect(configError(withoutEmulator).message).toBe(
        'IAM_SIGNER=local is allowed only with FIRESTORE_EMULATOR_HOST (dev and test)',
      );
    });

    it('refuses the KMS signer without a current key', () => {
      const { IAM_KMS_KEY_CURRENT: _omitted, ...withoutKey } = kms;
      expect(configError(withoutKey).message).toBe('IAM_SIGNER=kms needs IAM_KMS_KEY_CURRENT');
    });

    it.each([
      ['a key, not a key version', KEY.replace(/\/cryptoKeyVersions$/, '')],
      ['a version that is not a number', `${KEY}/latest`],
      ['a bare name', 'jwt-signing'],
    ])('refuses a KMS key that is %s', (_name, value) => {
      expect(configError({ ...kms, IAM_KMS_KEY_CURRENT: value }).message).toContain("'IAM_KMS_KEY_CURRENT' is invalid");
    });
  });

  describe('IAM_FIRESTORE_DATABASES', () => {
    it('parses region=database pairs, trimming spaces', () => {
      expect(loadConfig({ ...local, IAM_FIRESTORE_DATABASES: ' us = prod-us , eu=prod-eu,me=prod-me ' }).databases).toEqual({
        eu: 'prod-eu',
        me: 'prod-me',
        us: 'prod-us',
      });
    });

    it.each([
      ['an unknown region', 'eu=a,me=b,us=c,ap=d', "bad entry 'ap=d'"],
      ['a missing region', 'eu=a,me=b', 'no database for us'],
      ['an empty database', 'eu=a,me=,us=c', "bad entry 'me='"],
      ['no equals sign', 'eu=a,me,us=c', "bad entry 'me'"],
      ['two equals signs', 'eu=a,me=b=c,us=d', "bad entry 'me=b=c'"],
      ['a region given twice', 'eu=a,me=b,us=c,eu=d', 'eu is given twice'],
      ['one database for two regions', 'eu=shared,me=shared,us=c', 'each region needs its own database'],
      ['an empty value', '', "bad entry ''"],
    ])('refuses %s', (_name, value, expected) => {
      expect(configError({ ...local, IAM_FIRESTORE_DATABASES: value }).message).toBe(`IAM_FIRESTORE_DATABASES: ${expected}`);
    });

    it('refuses a regional database that is also the platform database', () => {
      expect(configError({ ...local, IAM_PLATFORM_DATABASE: 'iam-eu' }).message).toBe(
        'IAM_PLATFORM_DATABASE must differ from every regional database',
      );
    });
  });
});
