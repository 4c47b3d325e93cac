import type * as v from 'valibot';

/**
 * Describes the first valibot issue by its field path and what was expected,
 * never echoing the received value (it may be personal data or a secret).
 */
export function describeIssue(issues: readonly v.BaseIssue<unknown>[] | undefined): string {
  const issue = issues?.[0];
  if (issue === undefined) return 'invalid';
  const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
  if (issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never') {
    return `unknown field '${path}'`;
  }
  const field = path === '' ? 'value' : `'${path}'`;
  if (issue.received === 'undefined') return `${field} is required`;
  // valibot's default messages start with 'Invalid ' and quote the value; our
  // own messages (given to the schema) never contain it, so they are shown.
  if (!issue.message.startsWith('Invalid ')) return `${field} is invalid: ${issue.message}`;
  return `${field} is invalid: expected ${issue.expected ?? issue.type}`;
}
