/**
 * The client-certificate headers of the production load balancer's mTLS, as
 * the local edge forwards them. Header names follow Google's documented
 * example for backend-service custom request headers; the values follow the
 * `{client_cert_*}` variables:
 *
 * | header | variable | value |
 * |---|---|---|
 * | X-Client-Cert-Present | client_cert_present | `true` / `false` |
 * | X-Client-Cert-Chain-Verified | client_cert_chain_verified | `true` / `false` |
 * | X-Client-Cert-Error | client_cert_error | a predefined error string, else empty |
 * | X-Client-Cert-Hash | client_cert_sha256_fingerprint | base64 (not base64url) SHA-256 of the leaf's DER |
 * | X-Client-Cert-Serial-Number | client_cert_serial_number | hex, as OpenSSL prints it |
 * | X-Client-Cert-SPIFFE | client_cert_spiffe_id | the `spiffe://` URI SAN, if any |
 * | X-Client-Cert-URI-SANs | client_cert_uri_sans | comma-separated, each base64-encoded |
 * | X-Client-Cert-DNSName-SANs | client_cert_dnsname_sans | comma-separated, each base64-encoded |
 * | X-Client-Cert-Valid-Not-Before | client_cert_valid_not_before | RFC 3339, `2026-01-02T03:04:05+00:00` |
 * | X-Client-Cert-Valid-Not-After | client_cert_valid_not_after | RFC 3339 |
 * | X-Client-Cert-Leaf | client_cert_leaf | `:base64(DER):` (RFC 9440 byte sequence) |
 * | X-Client-Cert-Chain | client_cert_chain | the certificates after the leaf, `:b64:,:b64:` |
 *
 * The edge always removes every `X-Client-Cert-*` header a client sends.
 */
import { createHash, type X509Certificate } from 'node:crypto';

/** Lower-case names of the forwarded mTLS headers. */
export const MTLS_HEADER = {
  present: 'x-client-cert-present',
  chainVerified: 'x-client-cert-chain-verified',
  error: 'x-client-cert-error',
  hash: 'x-client-cert-hash',
  serialNumber: 'x-client-cert-serial-number',
  spiffe: 'x-client-cert-spiffe',
  uriSans: 'x-client-cert-uri-sans',
  dnsNameSans: 'x-client-cert-dnsname-sans',
  validNotBefore: 'x-client-cert-valid-not-before',
  validNotAfter: 'x-client-cert-valid-not-after',
  leaf: 'x-client-cert-leaf',
  chain: 'x-client-cert-chain',
} as const;

/** Every header with this prefix is stripped from client requests. */
export const MTLS_HEADER_PREFIX = 'x-client-cert-';

/** The `client_cert_error` strings the edge can produce (a subset of the load balancer's). */
export type ClientCertError =
  | 'client_cert_not_provided'
  | 'client_cert_validation_not_performed'
  | 'client_cert_validation_failed'
  | 'client_cert_chain_invalid_eku'
  | 'client_cert_serial_number_exceeded_size_limit'
  | 'client_cert_uri_sans_exceeded_size_limit'
  | 'client_cert_dnsname_sans_exceeded_size_limit';

/** What the TLS layer knows about one connection's client certificate. */
export interface PeerCertificate {
  /** The leaf, or `undefined` when the client sent none. */
  readonly leaf: X509Certificate | undefined;
  /** The certificates after the leaf: those the client sent, completed from the trust bundle when verified. */
  readonly chain: readonly X509Certificate[];
  /**
   * The chain verdict: `not_performed` when no trust bundle is configured,
   * otherwise `ok` or the OpenSSL error code (`CERT_HAS_EXPIRED`, ...).
   */
  readonly verification: 'not_performed' | 'ok' | string;
}

/** Serial numbers longer than 50 bytes are dropped, as the load balancer does. */
const MAX_SERIAL_BYTES = 50;
/** SAN lists longer than 512 bytes are dropped, as the load balancer does. */
const MAX_SANS_BYTES = 512;

/** Builds the mTLS headers for one request on the TLS port. */
export function mtlsHeaders(peer: PeerCertificate): Record<string, string> {
  if (peer.leaf === undefined) {
    return { [MTLS_HEADER.present]: 'false', [MTLS_HEADER.chainVerified]: 'false', [MTLS_HEADER.error]: 'client_cert_not_provided' };
  }
  const leaf = peer.leaf;
  const errors: ClientCertError[] = [];
  const verified = peer.verification === 'ok';
  if (peer.verification === 'not_performed') errors.push('client_cert_validation_not_performed');
  else if (peer.verification === 'INVALID_PURPOSE') errors.push('client_cert_chain_invalid_eku');
  else if (!verified) errors.push('client_cert_validation_failed');

  const sans = parseSubjectAltName(leaf.subjectAltName ?? '');
  const spiffe = sans.uri.find((u) => u.startsWith('spiffe://'));
  const serial = leaf.serialNumber.toUpperCase();
  const serialOk = serial.length <= MAX_SERIAL_BYTES * 2;
  if (!serialOk) errors.push('client_cert_serial_number_exceeded_size_limit');
  const uriSans = sans.uri.map(b64).join(',');
  if (uriSans.length > MAX_SANS_BYTES) errors.push('client_cert_uri_sans_exceeded_size_limit');
  const dnsSans = sans.dns.map(b64).join(',');
  if (dnsSans.length > MAX_SANS_BYTES) errors.push('client_cert_dnsname_sans_exceeded_size_limit');

  const headers: Record<string, string> = {
    [MTLS_HEADER.present]: 'true',
    [MTLS_HEADER.chainVerified]: verified ? 'true' : 'false',
    [MTLS_HEADER.hash]: createHash('sha256').update(leaf.raw).digest('base64'),
    [MTLS_HEADER.validNotBefore]: rfc3339(leaf.validFrom),
    [MTLS_HEADER.validNotAfter]: rfc3339(leaf.validTo),
    [MTLS_HEADER.leaf]: byteSequence(leaf.raw),
  };
  if (errors.length > 0) headers[MTLS_HEADER.error] = errors.join(',');
  if (serialOk) headers[MTLS_HEADER.serialNumber] = serial;
  if (spiffe !== undefined) headers[MTLS_HEADER.spiffe] = spiffe;
  if (uriSans !== '' && uriSans.length <= MAX_SANS_BYTES) headers[MTLS_HEADER.uriSans] = uriSans;
  if (dnsSans !== '' && dnsSans.length <= MAX_SANS_BYTES) headers[MTLS_HEADER.dnsNameSans] = dnsSans;
  if (peer.chain.length > 0) headers[MTLS_HEADER.chain] = peer.chain.map((c) => byteSequence(c.raw)).join(',');
  return headers;
}

/** The RFC 9440 / RFC 8941 byte-sequence form: `:base64:`. */
export function byteSequence(der: Buffer): string {
  return `:${der.toString('base64')}:`;
}

/** Subject alternative names by type, from Node's `subjectAltName` string. */
export interface SubjectAltNames {
  readonly dns: string[];
  readonly uri: string[];
}

/**
 * Parses Node's `X509Certificate.subjectAltName` (`DNS:a, URI:b, IP Address:c`).
 * Node quotes a value as a JSON string when it holds a comma or a quote.
 */
export function parseSubjectAltName(text: string): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], uri: [] };
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;
  let m: RegExpExecArray | null;
  while (text !== '' && (m = entry.exec(text)) !== null) {
    const kind = m[1] ?? '';
    const raw = m[2] ?? '';
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (kind === 'DNS') out.dns.push(value);
    else if (kind === 'URI') out.uri.push(value);
    if (entry.lastIndex >= text.length) break;
  }
  return out;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** `Dec  3 18:31:06 2027 GMT` -> `2027-12-03T18:31:06+00:00`. */
function rfc3339(openSslDate: string): string {
  return new Date(openSslDate).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
