import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every non-test source file under shared/domain. */
function domainFiles(dir = 'shared/domain'): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return domainFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the dependency rule (STYLE 1)', () => {
  it('keeps shared/domain free of SDKs, node built-ins, adapters and the environment', () => {
    const offenders: string[] = [];
    for (const file of domainFiles()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? '';
        const pure = spec === 'valibot' || (spec.startsWith('.') && !/adapters|\/http\/|config\.ts|log\.ts/.test(spec));
        if (!pure) offenders.push(`${file}: imports ${spec}`);
      }
      if (/process\.env|\bfetch\(/.test(text)) offenders.push(`${file}: reads the environment or the network`);
    }
    expect(offenders).toEqual([]);
  });
});
