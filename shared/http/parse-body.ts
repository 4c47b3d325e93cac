import * as v from 'valibot';
import { IamError } from '../domain/errors.ts';
import type { HttpRequest } from './types.ts';

/** The largest body any endpoint accepts (SPEC section 3). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Media types a body may have. */
export type BodyKind = 'json' | 'form';

/**
 * Parses and validates a request body: the 64 KiB cap (413), the content type
 * (415), malformed JSON (400 `invalid_json`), then the valibot schema, which
 * should be a `strictObject` so unknown fields are refused (400 `invalid_request`).
 */
export function parseBody<S extends v.GenericSchema>(
  req: HttpRequest,
  schema: S,
  accept: readonly BodyKind[] = ['json'],
): v.InferOutput<S> {
  return validate(schema, readBody(req, accept));
}

/** Reads the raw body as JSON or form data, enforcing size and media type. */
export function readBody(req: HttpRequest, accept: readonly BodyKind[]): unknown {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES || req.rawBody.length > MAX_BODY_BYTES) {
    throw new IamError('payload_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  const kind = mediaKind(req.headers['content-type']);
  if (kind === undefined || !accept.includes(kind)) {
    throw new IamError('unsupported_media_type', `the content type must be ${accept.map(mediaName).join(' or ')}`);
  }
  const text = req.rawBody.toString('utf8');
  if (kind === 'form') return parseForm(text);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new IamError('invalid_json', 'the body is not valid JSON', { cause });
  }
}

/** Validates `input` against `schema`, turning issues into one 400 without echoing values. */
export function validate<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  throw new IamError('invalid_request', describeIssues(result.issues));
}

/** A short description of valibot issues that names fields, never their values. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      // Field names come from the client: bound them so a description stays short.
      const path = (issue.path ?? []).map((p) => String(p.key).slice(0, 64)).join('.');
      if (issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never') {
        return `unknown field '${path}'`;
      }
      if (issue.received === 'undefined') return `'${path}' is required`;
      // A message the schema set itself names the rule; valibot's own ("Invalid ...") may echo the value.
      if (!issue.message.startsWith('Invalid ')) return `'${path || 'body'}' is invalid: ${issue.message}`;
      return `'${path || 'body'}' is invalid: expected ${issue.expected ?? issue.type}`;
    })
    .join('; ');
}

function mediaKind(contentType: string | undefined): BodyKind | undefined {
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (base === 'application/json') return 'json';
  if (base === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

function mediaName(kind: BodyKind): string {
  return kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
}

function parseForm(text: string): Record<string, string> {
  // No prototype: `__proto__=` is an ordinary (and so unknown, refused) field, not a setter.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(text)) {
    // RFC 6749 §3.2: request parameters MUST NOT be included more than once.
    if (Object.hasOwn(out, key)) throw new IamError('invalid_request', `'${key}' is repeated`);
    out[key] = value;
  }
  return out;
}
