/**
 * Checks that a JSON Schema is an additive evolution of a baseline: every
 * claim of the baseline is still there with the same shape, nothing required
 * became optional, no enum value disappeared, no constraint changed. New
 * optional properties, new enum values and new descriptions are allowed.
 * Used by the claims contract test (risk R-18: only additive changes inside v1).
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Keys that carry documentation only. */
const DOC_KEYS = new Set(['description', 'title', '$comment', 'examples', 'deprecated']);

/** Returns the list of non-additive differences; empty means compatible. */
export function nonAdditiveChanges(baseline: Json, current: Json, path = '#'): string[] {
  if (!isObject(baseline) || !isObject(current)) {
    return deepEqual(baseline, current) ? [] : [`${path}: changed`];
  }
  const out: string[] = [];
  for (const [key, b] of Object.entries(baseline)) {
    if (DOC_KEYS.has(key)) continue;
    const c = current[key];
    const at = `${path}/${key}`;
    if (c === undefined) {
      out.push(`${at}: removed`);
      continue;
    }
    if (key === 'properties' && isObject(b) && isObject(c)) {
      for (const [name, sub] of Object.entries(b)) {
        const now = c[name];
        if (now === undefined) out.push(`${at}/${name}: claim removed`);
        else out.push(...nonAdditiveChanges(sub, now, `${at}/${name}`));
      }
    } else if ((key === 'required' || key === 'enum') && Array.isArray(b) && Array.isArray(c)) {
      for (const item of b) {
        if (!c.some((x) => deepEqual(x, item))) out.push(`${at}: ${JSON.stringify(item)} no longer listed`);
      }
    } else if ((key === 'oneOf' || key === 'anyOf') && Array.isArray(b) && Array.isArray(c)) {
      if (c.length < b.length) out.push(`${at}: alternatives removed`);
      b.forEach((alt, i) => out.push(...nonAdditiveChanges(alt, c[i] ?? null, `${at}/${i}`)));
    } else if (key === 'items' && isObject(b) && isObject(c)) {
      out.push(...nonAdditiveChanges(b, c, at));
    } else if (!deepEqual(b, c)) {
      out.push(`${at}: changed from ${JSON.stringify(b)} to ${JSON.stringify(c)}`);
    }
  }
  for (const key of Object.keys(current)) {
    if (!(key in baseline) && !DOC_KEYS.has(key)) out.push(`${path}/${key}: new constraint`);
  }
  return out;
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
