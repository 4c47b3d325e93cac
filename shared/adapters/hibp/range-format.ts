/**
 * The Pwned Passwords k-anonymity range format, shared by the HIBP adapter,
 * the offline list and the loopback test server.
 *
 * A password is looked up by the upper-case hex SHA-1 of its UTF-8 bytes:
 * the first 5 characters (the prefix) select a range, whose body lists the
 * remaining 35 characters (the suffix) and a count, one `SUFFIX:COUNT` per
 * line (CRLF in the real API). With `Add-Padding: true` the range also holds
 * random suffixes with count 0, which must be ignored.
 */
import { createHash } from 'node:crypto';

/** The SHA-1 of a password, split for a range query. */
export interface RangeKey {
  /** 5 upper-case hex characters: the only thing sent to the provider. */
  readonly prefix: string;
  /** The other 35 upper-case hex characters: never leaves the process. */
  readonly suffix: string;
}

/** Upper-case hex SHA-1 of the password's UTF-8 bytes, split into prefix and suffix. */
export function rangeKey(password: string): RangeKey {
  const hex = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  return { prefix: hex.slice(0, 5), suffix: hex.slice(5) };
}

const LINE = /^([0-9A-F]{35}):(\d{1,12})$/i;

/**
 * Parses a range body into suffix -> count, dropping the padding entries
 * (count 0). Returns undefined when any non-empty line is malformed: a body
 * we cannot trust answers `unknown`, never `clean`.
 */
export function parseRange(body: string): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) return undefined;
    const count = Number(m[2]);
    if (count > 0) out.set((m[1] ?? '').toUpperCase(), count);
  }
  return out;
}
