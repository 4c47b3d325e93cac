/**
 * docs/openapi.yaml is a valid OpenAPI 3.1 document and describes every
 * public route the token, accounts, mfa-verify and refresh (sessions) functions serve (the ones the edge's
 * URL map routes), with the methods they accept.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeFor } from '../../scripts/stack/topology.ts';
import { accountsRoutes } from '../accounts/routes.ts';
import { mfaVerifyRoutes } from '../mfa-verify/routes.ts';
import { refreshFunctionRoutes } from '../refresh/routes.ts';
import { tokenRoutes } from './routes.ts';

type Doc = { openapi: string; paths: Record<string, Record<string, unknown>> };
let doc: Doc;
let result: Awaited<ReturnType<Validator['validate']>>;
let validator: Validator;

beforeAll(async () => {
  validator = new Validator();
  // The validator parses the YAML text itself.
  result = await validator.validate(readFileSync('docs/openapi.yaml', 'utf8'));
  doc = validator.specification as unknown as Doc;
});

/** Every route's method and OpenAPI path (`:id` -> `{id}`). Deps are never called: building routes only reads them. */
function served(): string[] {
  const token = tokenRoutes({ keyRing: {} as never, issuer: 'http://x', login: {} as never });
  const accounts = accountsRoutes({} as never);
  const mfa = mfaVerifyRoutes({} as never);
  const refresh = refreshFunctionRoutes({ token: {} as never, sessions: {} as never });
  return [...token, ...accounts, ...mfa, ...refresh].map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, '{$1}')}`);
}

describe('docs/openapi.yaml', () => {
  it('is valid OpenAPI 3.1 under its JSON schema', () => {
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('documents every public route of token, accounts, mfa-verify and the refresh function\'s session routes with its method, and nothing they do not serve', () => {
    const routes = served();
    expect(routes).toContain('POST /v1/login');
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path !== '/')
      .flatMap(([path, item]) => Object.keys(item).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k)).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...documented].sort()).toEqual([...routes].sort());
    for (const r of routes) expect(routeFor(r.split(' ')[1]?.replace(/\{[a-z_]+\}/g, 'x') ?? ''), r).toBeDefined();
  });

  it('the check itself fails on a broken document', async () => {
    const broken = structuredClone(doc) as unknown as { components: { parameters: Record<string, { in?: string }> } };
    delete broken.components.parameters['TenantId']?.in;
    expect((await new Validator().validate(broken)).valid).toBe(false);
    expect((await new Validator().validate({ ...doc, openapi: '3.1.0', info: undefined })).valid).toBe(false);
  });
});
