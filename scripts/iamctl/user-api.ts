/**
 * How the `iamctl user ...` commands reach the accounts admin API: through
 * the edge (`config.issuer`: `http://127.0.0.1:8080` under `npm start`, from
 * `.local/stack.json`), authenticated with the bootstrap platform-admin
 * credential (`Authorization: IamBootstrap <secret>`), read from the secret
 * source the target's configuration names: Secret Manager, or locally
 * `IAM_LOCAL_SECRETS_DIR` (`.local/secrets`, created by `npm start`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { openSecretSource } from '../../shared/adapters/secret-manager/open-secret-source.ts';
import { TenantIdSchema } from '../../shared/domain/tenants/tenant.ts';
import { CliError, type CommandContext } from './command.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** How long one API call may take. */
const TIMEOUT_MS = 15_000;

/** `--tenant`. */
export const TenantFlag = TenantIdSchema;
/** `--user`: a user id. */
export const UserFlag = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,128}$/, 'a user id'));
/** `--roles r1,r2`: comma-separated role names (empty for none), no repeats. */
export const RolesFlag = v.pipe(
  v.string(),
  v.transform((s) => s.split(',').map((r) => r.trim()).filter((r) => r !== '')),
  v.check((roles) => roles.every((r) => /^[a-z][a-z0-9_.:-]{0,63}$/.test(r)), 'role names are lower-case words (a-z, 0-9, _ . : -)'),
  v.check((roles) => new Set(roles).size === roles.length, 'roles must not repeat'),
);

/** One answer of the admin API. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Calls the accounts admin API with the bootstrap credential; a non-2xx answer is a `CliError` with the API's code. */
export async function callAdminApi(ctx: CommandContext, method: 'GET' | 'POST' | 'PUT', apiPath: string, body?: unknown): Promise<ApiAnswer> {
  const target = await ctx.target();
  const config = target.config;
  // Locally without an explicit secret source, the one `npm start` creates.
  const secrets =
    config.secrets.kind === 'secret-manager' && config.secrets.endpoint === undefined && target.local
      ? await openSecretSource({ projectId: config.projectId, secrets: { kind: 'local', dir: path.join(REPO_ROOT, '.local', 'secrets') } })
      : await openSecretSource(config);
  let secret: string;
  try {
    secret = new TextDecoder().decode(await secrets.get(config.bootstrapSecretName)).trim();
  } catch (e) {
    throw new CliError('bootstrap_secret_unavailable', `cannot read the bootstrap secret '${config.bootstrapSecretName}': ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
  const url = `${config.issuer}${apiPath}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `IamBootstrap ${secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch {
    throw new CliError('stack_unreachable', `cannot reach the accounts API at ${config.issuer}: is \`npm start\` running?`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  const answer = (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: answer };
  const code = typeof answer['error'] === 'string' ? answer['error'] : `http_${res.status}`;
  const description = typeof answer['error_description'] === 'string' ? answer['error_description'] : `the accounts API answered ${res.status}`;
  throw new CliError(code, `${description} (${res.status} ${code})`);
}

/** The admin path of a tenant's users. */
export function usersPath(tenantId: string, userId?: string, action?: string): string {
  const base = `/v1/admin/tenants/${encodeURIComponent(tenantId)}/users`;
  if (userId === undefined) return base;
  return `${base}/${encodeURIComponent(userId)}${action === undefined ? '' : `/${action}`}`;
}

/** Reads a password from stdin (all of it, without one trailing newline). */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new CliError('invalid_arguments', '--password-stdin: no password on stdin', 2);
  return text;
}
