/**
 * Email addresses as account identifiers: one canonical form, so `Bob@Example.COM`
 * and ` bob@example.com` find the same account and cannot register twice.
 *
 * Pure: no I/O (the WHATWG `URL` global does the IDNA mapping of the domain).
 */

/** What {@link normalizeEmail} found. */
export type EmailCheck =
  | { readonly kind: 'ok'; readonly email: string }
  | { readonly kind: 'invalid'; readonly reason: EmailInvalidReason };

/** Why an address was refused (for logs and tests; clients see one `invalid_request`). */
export type EmailInvalidReason =
  | 'too_long'
  | 'no_at_sign'
  | 'bad_local_part'
  | 'bad_domain';

/** RFC 5321 §4.5.3.1: a path is at most 256 octets, so an address at most 254. */
export const MAX_EMAIL_BYTES = 254;
/** RFC 5321 §4.5.3.1.1: a local part is at most 64 octets. */
const MAX_LOCAL_BYTES = 64;

/**
 * The local part: a dot-atom (RFC 5322 §3.2.3) extended to UTF-8 (RFC 6531):
 * no whitespace, no controls, none of `()<>[]:;@\,"`, no leading, trailing or
 * doubled dot. Quoted local parts (`"a b"@x`) are valid mail but are refused:
 * no real user has one, and they make canonical forms ambiguous.
 */
const LOCAL_PART = /^[^\s\p{Cc}\p{Cf}()<>[\]:;@\\,".]+(?:\.[^\s\p{Cc}\p{Cf}()<>[\]:;@\\,".]+)*$/u;
/** One DNS label (RFC 1035 §2.3.1, with digits first allowed per RFC 1123). */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const encoder = new TextEncoder();

/**
 * Normalises an email address for lookup and storage.
 *
 * 1. NFKC (as for passwords, SP 800-63B §5.1.1.2), then trim surrounding
 *    whitespace.
 * 2. Lower-case the WHOLE address, not only the domain. RFC 5321 §2.4 lets a
 *    server treat the local part case-sensitively, but no mainstream provider
 *    does, and Keycloak, Auth0 and Okta all match the whole address
 *    case-insensitively. Keeping the local part's case would let `Bob@x` and
 *    `bob@x` become two accounts, one of them an impostor.
 * 3. Map an internationalised domain to its ASCII (A-label) form, so
 *    `bücher.de` and `xn--bcher-kva.de` are the same account.
 * 4. Refuse what cannot be an address: no `@`, an empty or malformed local
 *    part, a domain that is not a DNS name with at least two labels and an
 *    alphabetic top-level label (IP literals are refused), or over 254 bytes.
 *
 * Provider-specific aliasing (Gmail dots, `+tag`) is NOT folded: those are
 * distinct addresses as far as the standards go.
 */
export function normalizeEmail(input: string): EmailCheck {
  if (input.length > 4 * MAX_EMAIL_BYTES) return invalid('too_long');
  const s = input.toWellFormed().normalize('NFKC').trim().toLowerCase();
  const at = s.lastIndexOf('@');
  if (at < 0) return invalid('no_at_sign');
  const local = s.slice(0, at);
  const domainIn = s.slice(at + 1);
  if (local === '' || encoder.encode(local).byteLength > MAX_LOCAL_BYTES || !LOCAL_PART.test(local)) {
    return invalid('bad_local_part');
  }
  const domain = asciiDomain(domainIn);
  if (domain === undefined) return invalid('bad_domain');
  const email = `${local}@${domain}`;
  if (encoder.encode(email).byteLength > MAX_EMAIL_BYTES) return invalid('too_long');
  return { kind: 'ok', email };
}

/** The domain in lower-case A-label form, or undefined when it is not a DNS host name. */
function asciiDomain(domain: string): string | undefined {
  // The WHATWG URL parser would accept these and rewrite them into something else.
  if (domain === '' || /[\s/\\?#@:[\]%]/.test(domain) || domain.endsWith('.')) return undefined;
  let host: string;
  try {
    host = new URL(`http://${domain}/`).hostname;
  } catch {
    return undefined;
  }
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  const tld = labels[labels.length - 1] ?? '';
  // An all-numeric last label means an IPv4 literal (`1.2.3.4`, or `0x7f.1` rewritten by URL).
  if (!/[a-z]/.test(tld)) return undefined;
  return host;
}

function invalid(reason: EmailInvalidReason): EmailCheck {
  return { kind: 'invalid', reason };
}
