import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { nonAdditiveChanges } from '../additive.ts';

const SCHEMA = 'contracts/claims/access-token.v1.schema.json';
const BASELINE = 'contracts/claims/access-token.v1.baseline.json';
// The v1 baseline as first published. Changing it is a v2 decision (risk R-18,
// MIGRATION_PLAN §4), not an edit: this pin makes that explicit.
const BASELINE_SHA256 = 'ff59776c6b2d0931468c4e2493cb7bce9f20fc78c538794e65cb816a79ce4ce1';

const load = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
// Schemas are mutated freely below to simulate edits.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Mutable = any;

describe('claims contract v1 (risk R-18)', () => {
  it('keeps the published baseline byte for byte', () => {
    expect(createHash('sha256').update(readFileSync(BASELINE)).digest('hex')).toBe(BASELINE_SHA256);
  });

  it('is an additive evolution of the baseline', () => {
    expect(nonAdditiveChanges(load(BASELINE), load(SCHEMA))).toEqual([]);
  });

  it('is a valid JSON Schema 2020-12 under strict Ajv', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    expect(() => ajv.compile(load(SCHEMA))).not.toThrow();
  });

  describe('the additive check refuses breaking changes', () => {
    const breaking: [string, (s: Mutable) => void][] = [
      ['a claim removed', (s) => delete s.properties.payload.properties.tid],
      ['a claim no longer required', (s) => (s.properties.payload.required = ['iss'])],
      ['a claim type changed', (s) => (s.properties.payload.properties.exp.type = 'string')],
      ['the version const changed', (s) => (s.properties.payload.properties.ver.const = 2)],
      ['an amr value removed', (s) => (s.properties.payload.properties.amr.items.enum = ['pwd'])],
      ['typ changed', (s) => (s.properties.header.properties.typ.const = 'JWT')],
      ['a constraint added to an existing claim', (s) => (s.properties.payload.properties.sub.maxLength = 10)],
      ['an alternative of aud removed', (s) => (s.properties.payload.properties.aud.oneOf = [])],
    ];
    for (const [name, mutate] of breaking) {
      it(name, () => {
        const next = load(SCHEMA) as Mutable;
        mutate(next);
        expect(nonAdditiveChanges(load(BASELINE), next).length).toBeGreaterThan(0);
      });
    }

    it('accepts a new optional claim, a new amr value and new descriptions', () => {
      const next = load(SCHEMA) as Mutable;
      next.properties.payload.properties.new_claim = { type: 'string' };
      next.properties.payload.properties.amr.items.enum.push('sms');
      next.properties.payload.properties.sub.description = 'reworded';
      expect(nonAdditiveChanges(load(BASELINE), next)).toEqual([]);
    });
  });
});
