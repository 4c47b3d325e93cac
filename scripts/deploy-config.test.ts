/**
 * The deployment files agree with the code and with the local stack:
 * `firebase.json`, `firestore.rules` (deny all client access),
 * `firestore.indexes.json`, and `infra/` (Terraform) against
 * `scripts/stack/topology.ts`. No network, no Terraform binary: the checks
 * read the files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUDIT } from '../shared/adapters/store/audit-repo.ts';
import { OUTBOX } from '../shared/adapters/store/outbox-repo.ts';
import { REGIONS } from '../shared/domain/tenants/tenant.ts';
import {
  DEFAULT_PORT_BASE,
  dlqOf,
  FUNCTION_PORT_OFFSETS,
  JOBS,
  MAX_DELIVERY_ATTEMPTS,
  PORT_OFFSETS,
  PUSH_ACK_DEADLINE_SECONDS,
  PUSH_RETRY,
  RETENTION_SECONDS,
  SUBSCRIPTIONS,
  TOPICS,
  URL_MAP,
} from './stack/topology.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const readJson = (file: string): unknown => JSON.parse(read(file)) as unknown;
/** Every .tf file of infra/, concatenated, comments removed. */
const terraform = (): string =>
  readdirSync(path.join(root, 'infra'))
    .filter((f) => f.endsWith('.tf'))
    .map((f) => read(`infra/${f}`).replace(/(^|\s)#.*$/gm, '$1'))
    .join('\n');

/** The firestore.rules text without comments, whitespace collapsed. */
function normalisedRules(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The exact deny-all rules file, normalised. */
const DENY_ALL =
  "rules_version = '2'; service cloud.firestore { match /databases/{database}/documents { match /{document=**} { allow read, write: if false; } } }";

describe('firestore.rules: only the server touches Firestore', () => {
  it('denies every read and write on every document, and nothing else', () => {
    expect(normalisedRules(read('firestore.rules'))).toBe(DENY_ALL);
  });

  it('the check itself rejects rules that grant anything', () => {
    for (const leaky of [
      DENY_ALL.replace('if false', 'if true'),
      DENY_ALL.replace('if false', 'if request.auth != null'),
      DENY_ALL.replace('allow read, write: if false;', 'allow read, write: if false; allow get;'),
      DENY_ALL.replace('{document=**}', 'users/{id}'),
    ]) {
      expect(normalisedRules(leaky)).not.toBe(DENY_ALL);
    }
  });
});

describe('firebase.json', () => {
  const config = readJson('firebase.json') as {
    firestore: Array<{ database: string; rules: string; indexes: string }>;
    emulators: Record<string, { host?: string; port?: number; enabled?: boolean }>;
  };

  it('puts the emulators on the local stack ports, loopback only, without the UI', () => {
    expect(config.emulators['firestore']).toEqual({ host: '127.0.0.1', port: DEFAULT_PORT_BASE + PORT_OFFSETS.firestore });
    expect(config.emulators['pubsub']).toEqual({ host: '127.0.0.1', port: DEFAULT_PORT_BASE + PORT_OFFSETS.pubsub });
    expect(config.emulators['firestore']?.port).toBe(8181);
    expect(config.emulators['pubsub']?.port).toBe(8085);
    expect(config.emulators['ui']).toEqual({ enabled: false });
  });

  it('gives every database (platform and one per region) the deny-all rules and the indexes', () => {
    expect(config.firestore.map((d) => d.database).sort()).toEqual(['(default)', ...REGIONS.map((r) => `iam-${r}`)].sort());
    for (const db of config.firestore) {
      expect(db.rules).toBe('firestore.rules');
      expect(db.indexes).toBe('firestore.indexes.json');
      expect(existsSync(path.join(root, db.rules))).toBe(true);
      expect(existsSync(path.join(root, db.indexes))).toBe(true);
    }
  });
});

describe('firestore.indexes.json', () => {
  const { indexes, fieldOverrides } = readJson('firestore.indexes.json') as {
    indexes: Array<{ collectionGroup: string; queryScope: string; fields: Array<{ fieldPath: string; order?: string }> }>;
    fieldOverrides: unknown[];
  };

  it('is well formed', () => {
    expect(Array.isArray(fieldOverrides)).toBe(true);
    const keys = new Set<string>();
    for (const index of indexes) {
      expect(index.collectionGroup).toMatch(/^[a-z_]+$/);
      expect(['COLLECTION', 'COLLECTION_GROUP']).toContain(index.queryScope);
      expect(index.fields.length).toBeGreaterThanOrEqual(2);
      for (const f of index.fields) expect(['ASCENDING', 'DESCENDING']).toContain(f.order);
      const key = `${index.collectionGroup}:${index.fields.map((f) => `${f.fieldPath}:${f.order}`).join(',')}`;
      expect(keys.has(key), `duplicate index ${key}`).toBe(false);
      keys.add(key);
    }
  });

  it('has the outbox relay and the audit reconciliation indexes, on the collections the repos use', () => {
    const fieldsOf = (collection: string) =>
      indexes.filter((i) => i.collectionGroup === collection).map((i) => i.fields.map((f) => `${f.fieldPath} ${f.order}`));
    // The relay's pending query: published_at == null, available_at <= now, ordered by created_at.
    expect(fieldsOf(OUTBOX)).toContainEqual(['published_at ASCENDING', 'created_at ASCENDING', 'available_at ASCENDING']);
    expect(fieldsOf(AUDIT)).toContainEqual(['tenant_id ASCENDING', 'at ASCENDING']);
  });
});

describe('infra/topology.json mirrors scripts/stack/topology.ts', () => {
  const infra = readJson('infra/topology.json');

  it('describes the same functions, URL map, topics, subscriptions and jobs', () => {
    // If this fails, topology.ts changed: update infra/topology.json to match.
    expect(infra).toEqual({
      functions: Object.keys(FUNCTION_PORT_OFFSETS).sort(),
      url_map: URL_MAP.map((r) => ({ function: r.function, paths: [...r.paths] })),
      topics: TOPICS.map((t) => t.name),
      dlq_suffix: dlqOf(''),
      retention_seconds: RETENTION_SECONDS,
      max_delivery_attempts: MAX_DELIVERY_ATTEMPTS,
      ack_deadline_seconds: PUSH_ACK_DEADLINE_SECONDS,
      push_retry: {
        minimum_backoff_seconds: PUSH_RETRY.production.minimumBackoffSeconds,
        maximum_backoff_seconds: PUSH_RETRY.production.maximumBackoffSeconds,
      },
      push_subscriptions: SUBSCRIPTIONS.flatMap((s) =>
        s.kind === 'push' ? [{ name: s.name, topic: s.topic, function: s.function, path: s.path, ordered: s.ordered }] : [],
      ),
      jobs: JOBS.map((j) => ({ name: j.name, path: j.path, cron: j.cron })),
    });
  });

  it('covers every function folder that exists', () => {
    const { functions } = infra as { functions: string[] };
    const folders = readdirSync(path.join(root, 'functions'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(root, 'functions', d.name, 'index.ts')))
      .map((d) => d.name);
    for (const folder of folders) expect(functions).toContain(folder);
  });

  it('keeps 7-day retention and 5 delivery attempts (SPEC 4.8)', () => {
    expect(RETENTION_SECONDS).toBe(604_800);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(5);
  });
});

describe('infra/*.tf: the security invariants', () => {
  const tf = terraform();
  const functionSettings = read('infra/functions.tf');

  it('gives every function its own settings block (hence its own service account)', () => {
    const { functions } = readJson('infra/topology.json') as { functions: string[] };
    for (const fn of functions) expect(functionSettings).toMatch(new RegExp(`^\\s*"${fn}"\\s*=\\s*\\{ public = `, 'm'));
    expect(tf).toContain('resource "google_service_account" "function" {\n  for_each = local.function_names');
    expect(tf).toContain('service_account_email            = google_service_account.function[each.key].email');
  });

  it('tells every function which proxies to trust for the client IP (per-IP lockout, R-09)', () => {
    // Without it the Cloud Run peer is taken for the client and lockout turns per-account.
    expect(functionSettings).toMatch(/^\s*IAM_TRUSTED_PROXIES\s*=\s*join\(",", concat\(var\.trusted_proxies, \["\$\{google_compute_global_address\.edge\.address\}\/32"\]\)\)/m);
    expect(read('infra/variables.tf')).toContain('variable "trusted_proxies" {');
  });

  it('runs Node 24', () => {
    expect(tf).toMatch(/runtime\s*=\s*"nodejs24"/);
    expect(tf).not.toMatch(/nodejs(1\d|20|22)/);
  });

  it('lets only the token issuers sign with the JWT key', () => {
    expect(tf).toContain('token_signers = ["token", "refresh", "mfa-verify"]');
    expect(tf.match(/roles\/cloudkms\.signerVerifier/g)).toHaveLength(1);
    expect(tf).toMatch(/algorithm\s*=\s*"EC_SIGN_P256_SHA256"/);
    expect(tf).toMatch(/protection_level\s*=\s*"HSM"/);
  });

  it('lets only the relay (jobs) publish iam-events', () => {
    expect(tf).toContain('"iam-events/relay" = {\n        topic  = "iam-events"\n        member = "serviceAccount:${google_service_account.function["jobs"].email}"');
    // Project-wide Pub/Sub or KMS grants would defeat the per-resource ones.
    expect(tf).not.toMatch(/google_project_iam_member"[^}]*roles\/(pubsub|cloudkms|secretmanager)/);
    expect(tf).not.toMatch(/roles\/(owner|editor)\b/);
  });

  it('protects every Firestore database and keeps point-in-time recovery on', () => {
    expect(tf.match(/delete_protection_state\s*=\s*"DELETE_PROTECTION_ENABLED"/g)).toHaveLength(2);
    expect(tf.match(/point_in_time_recovery_enablement\s*=\s*"POINT_IN_TIME_RECOVERY_ENABLED"/g)).toHaveLength(2);
    // The regional database ids are the ones shared/config.ts defaults to (iam-eu, iam-me, iam-us).
    expect(tf).toContain('name     = "iam-${region}"');
  });

  it('authenticates pushes and scheduler calls with OIDC', () => {
    expect(tf.match(/oidc_token\s*\{/g)).toHaveLength(2);
  });

  it('keeps secret values out of Terraform', () => {
    expect(tf).not.toMatch(/google_secret_manager_secret_version/);
  });
});
