import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { IamError, type IamErrorCode } from '../domain/errors.ts';
import { fakeRequest } from './fixtures/request.ts';
import { MAX_BODY_BYTES, parseBody, readBody, validate } from './parse-body.ts';
import { statusOf } from './status.ts';

const Login = v.strictObject({
  tenant_id: v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/)),
  password: v.string(),
  attempts: v.optional(v.number()),
  device: v.optional(v.strictObject({ name: v.string() })),
});

const Refresh = v.strictObject({
  grant_type: v.literal('refresh_token'),
  refresh_token: v.string(),
  client_id: v.string(),
});

/** Runs `fn`, expecting an IamError, and returns it. */
function refusal(fn: () => unknown): IamError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IamError);
    return e as IamError;
  }
  throw new Error('expected an IamError, but nothing was thrown');
}

function expectCode(fn: () => unknown, code: IamErrorCode, status: number): IamError {
  const err = refusal(fn);
  expect(err.code).toBe(code);
  expect(statusOf(err.code)).toBe(status);
  return err;
}

/** A JSON body of exactly `size` bytes. */
function jsonOfSize(size: number): string {
  const head = '{"tenant_id":"t1","password":"';
  const tail = '"}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

describe('parseBody: size cap (SPEC section 3: over 64 KiB is 413)', () => {
  it('accepts a body of exactly 64 KiB', () => {
    const body = jsonOfSize(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const out = parseBody(fakeRequest({ body, headers: { 'content-type': 'application/json' } }), Login);
    expect(out.tenant_id).toBe('t1');
  });

  it('refuses 64 KiB + 1 with 413 payload_too_large', () => {
    const body = jsonOfSize(MAX_BODY_BYTES + 1);
    expectCode(() => parseBody(fakeRequest({ body, headers: { 'content-type': 'application/json' } }), Login), 'payload_too_large', 413);
  });

  it('counts the bytes received, not the content-length a client claims', () => {
    const body = jsonOfSize(MAX_BODY_BYTES + 1);
    const lie = fakeRequest({ body, headers: { 'content-type': 'application/json', 'content-length': '12' } });
    expectCode(() => parseBody(lie, Login), 'payload_too_large', 413);
  });

  it('refuses a declared content-length over the cap even before looking at the body', () => {
    const req = fakeRequest({ body: '{}', headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) } });
    expectCode(() => parseBody(req, Login), 'payload_too_large', 413);
  });

  it('counts bytes, not characters (multi-byte UTF-8)', () => {
    // 'é' is 2 bytes in UTF-8: about 33k of them fit in characters but not in bytes.
    const head = '{"tenant_id":"t1","password":"';
    const body = head + 'é'.repeat(Math.ceil((MAX_BODY_BYTES - head.length) / 2)) + '"}';
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BODY_BYTES);
    expectCode(() => parseBody(fakeRequest({ body, headers: { 'content-type': 'application/json' } }), Login), 'payload_too_large', 413);
  });
});

describe('parseBody: content type (415)', () => {
  const body = '{"tenant_id":"t1","password":"pw"}';

  it.each([
    ['text/plain', 'text/plain'],
    ['application/xml', 'application/xml'],
    ['a near miss', 'application/jsonx'],
    ['json-patch', 'application/json-patch+json'],
    ['multipart', 'multipart/form-data; boundary=x'],
  ])('refuses %s', (_name, contentType) => {
    const err = expectCode(
      () => parseBody(fakeRequest({ body, headers: { 'content-type': contentType } }), Login),
      'unsupported_media_type',
      415,
    );
    expect(err.message).toContain('application/json');
  });

  it('refuses a missing content type', () => {
    expectCode(() => parseBody(fakeRequest({ body }), Login), 'unsupported_media_type', 415);
  });

  it('refuses a form body where only JSON is accepted, and says which type it wants', () => {
    const err = expectCode(
      () => parseBody(fakeRequest({ body: 'tenant_id=t1&password=pw', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), Login),
      'unsupported_media_type',
      415,
    );
    expect(err.message).toBe('the content type must be application/json');
  });

  it('refuses JSON where only a form is accepted', () => {
    const err = expectCode(
      () => parseBody(fakeRequest({ body, headers: { 'content-type': 'application/json' } }), Login, ['form']),
      'unsupported_media_type',
      415,
    );
    expect(err.message).toBe('the content type must be application/x-www-form-urlencoded');
  });

  it('accepts parameters and any case in the media type', () => {
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON', ' application/json ;charset=UTF-8']) {
      const out = parseBody(fakeRequest({ body, headers: { 'content-type': contentType } }), Login);
      expect(out).toEqual({ tenant_id: 't1', password: 'pw' });
    }
  });

  it('checks the size before the type', () => {
    const big = fakeRequest({ body: 'x'.repeat(MAX_BODY_BYTES + 1), headers: { 'content-type': 'text/plain' } });
    expectCode(() => parseBody(big, Login), 'payload_too_large', 413);
  });
});

describe('parseBody: malformed JSON is 400 invalid_json, never a 5xx', () => {
  it.each([
    ['truncated', '{"tenant_id":"t1"'],
    ['single quotes', "{'tenant_id':'t1'}"],
    ['trailing comma', '{"tenant_id":"t1",}'],
    ['empty body', ''],
    ['garbage', '\u0000\u0001\u0002'],
  ])('%s', (_name, body) => {
    const err = expectCode(
      () => parseBody(fakeRequest({ body, headers: { 'content-type': 'application/json' } }), Login),
      'invalid_json',
      400,
    );
    expect(err.message).toBe('the body is not valid JSON');
  });

  it('does not echo the malformed text', () => {
    const err = refusal(() =>
      parseBody(fakeRequest({ body: '{"password":"hunter2-secret"', headers: { 'content-type': 'application/json' } }), Login),
    );
    expect(err.message).not.toContain('hunter2');
  });
});

describe('parseBody: strict schemas', () => {
  const json = (body: Record<string, unknown>) => fakeRequest({ body });

  it('returns the parsed body when it matches', () => {
    expect(parseBody(json({ tenant_id: 't1', password: 'pw', attempts: 2 }), Login)).toEqual({
      tenant_id: 't1',
      password: 'pw',
      attempts: 2,
    });
  });

  it('refuses an unknown field and names it', () => {
    const err = expectCode(() => parseBody(json({ tenant_id: 't1', password: 'pw', is_admin: true }), Login), 'invalid_request', 400);
    expect(err.message).toBe("unknown field 'is_admin'");
  });

  it('refuses a form field named __proto__ as an unknown field, never dropping it silently', () => {
    const form = (body: string) => fakeRequest({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const err = expectCode(() => parseBody(form('tenant_id=t1&password=pw&__proto__=x'), Login, ['form']), 'invalid_request', 400);
    expect(err.message).toBe("unknown field '__proto__'");
    expectCode(() => parseBody(form('__proto__=a&__proto__=b&tenant_id=t1&password=pw'), Login, ['form']), 'invalid_request', 400);
    expect(parseBody(form('tenant_id=t1&password=pw'), Login, ['form'])).toEqual({ tenant_id: 't1', password: 'pw' });
  });

  it('names a nested unknown field by its path', () => {
    const err = refusal(() => parseBody(json({ tenant_id: 't1', password: 'pw', device: { name: 'x', owner: 'y' } }), Login));
    expect(err.message).toBe("unknown field 'device.owner'");
  });

  it.each(['__proto__', 'constructor', 'toString'])('refuses the prototype-ish key %s as unknown', (key) => {
    const req = fakeRequest({ body: `{"tenant_id":"t1","password":"pw","${key}":{"polluted":true}}`, headers: { 'content-type': 'application/json' } });
    const err = expectCode(() => parseBody(req, Login), 'invalid_request', 400);
    expect(err.message).toBe(`unknown field '${key}'`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('says which field is required', () => {
    const err = refusal(() => parseBody(json({ tenant_id: 't1' }), Login));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toBe("'password' is required");
  });

  it('refuses a body that is not an object', () => {
    for (const body of ['"text-hunter2"', '42', 'null', 'true']) {
      const err = refusal(() => parseBody(fakeRequest({ body, headers: { 'content-type': 'application/json' } }), Login));
      expect(err.code).toBe('invalid_request');
      expect(err.message).toBe("'body' is invalid: expected Object");
    }
    // valibot treats an array as an object without the required keys.
    const err = refusal(() => parseBody(fakeRequest({ body: '["hunter2"]', headers: { 'content-type': 'application/json' } }), Login));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toBe("'tenant_id' is required; 'password' is required; unknown field '0'");
    expect(err.message).not.toContain('hunter2');
  });

  it('never echoes a value in the description', () => {
    const secrets = {
      tenant_id: 'NOT-A-VALID-Tenant-hunter2',
      password: 12345678901,
      attempts: 'seven-secret',
      device: { name: ['s3cr3t-device'] },
    };
    const err = refusal(() => parseBody(json(secrets), Login));
    expect(err.code).toBe('invalid_request');
    for (const leaked of ['hunter2', '12345678901', 'seven-secret', 's3cr3t-device']) expect(err.message).not.toContain(leaked);
    expect(err.message).toContain("'tenant_id' is invalid");
    expect(err.message).toContain("'password' is invalid: expected string");
    expect(JSON.stringify({ fields: err.fields })).not.toContain('hunter2');
  });

  it('lists at most five issues', () => {
    const wide = v.strictObject(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field_${i}`, v.string()])));
    const err = refusal(() => validate(wide, {}));
    expect(err.message.split('; ')).toEqual([0, 1, 2, 3, 4].map((i) => `'field_${i}' is required`));
  });
});

describe('parseBody: form bodies (RFC 6749 section 6 refresh requests)', () => {
  const form = (body: string) => fakeRequest({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('parses a form body, percent-decoding the values', () => {
    const out = parseBody(form('grant_type=refresh_token&refresh_token=a%2Bb%20c&client_id=web+app'), Refresh, ['json', 'form']);
    expect(out).toEqual({ grant_type: 'refresh_token', refresh_token: 'a+b c', client_id: 'web app' });
  });

  it('accepts the same request as JSON when both are allowed', () => {
    const out = parseBody(
      fakeRequest({ body: { grant_type: 'refresh_token', refresh_token: 'r', client_id: 'c' } }),
      Refresh,
      ['json', 'form'],
    );
    expect(out.refresh_token).toBe('r');
  });

  it('refuses a repeated parameter (RFC 6749 section 3.2) without echoing its values', () => {
    const err = expectCode(
      () => parseBody(form('grant_type=refresh_token&refresh_token=first-secret&refresh_token=second-secret&client_id=c'), Refresh, ['form']),
      'invalid_request',
      400,
    );
    expect(err.message).toBe("'refresh_token' is repeated");
    expect(err.message).not.toContain('secret');
  });

  it('refuses an unknown form parameter', () => {
    const err = refusal(() => parseBody(form('grant_type=refresh_token&refresh_token=r&client_id=c&scope=admin'), Refresh, ['form']));
    expect(err.message).toBe("unknown field 'scope'");
  });

  it('keeps form values as strings (no nested qs syntax)', () => {
    const body = readBody(form('a[b]=1&c=2'), ['form']);
    expect(body).toEqual({ 'a[b]': '1', c: '2' });
  });

  it('refuses a wrong literal', () => {
    const err = refusal(() => parseBody(form('grant_type=password&refresh_token=r&client_id=c'), Refresh, ['form']));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toContain("'grant_type' is invalid");
    expect(err.message).not.toContain('password');
  });
});
