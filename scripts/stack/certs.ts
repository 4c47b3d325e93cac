/**
 * Development certificates for the local edge, made with the `openssl` CLI:
 * a local dev CA and a server certificate for `127.0.0.1` and `localhost`.
 * They are generated once into `.local/certs/` and reused while valid.
 *
 * `issueCertificate` is also what tests use to mint client certificates.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A certificate and its key, as files and as PEM text. */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** Options for {@link issueCertificate}. */
export interface IssueOptions {
  /** Directory to write `<name>.pem` and `<name>.key` to. */
  readonly dir: string;
  readonly name: string;
  /** The subject, in openssl's `/CN=...` form. */
  readonly subject: string;
  readonly days: number;
  /** `true` for a CA certificate (may sign certificates, no EKU). */
  readonly ca?: boolean;
  /** subjectAltName entries in openssl form: `DNS:localhost`, `IP:127.0.0.1`, `URI:urn:...`. */
  readonly san?: readonly string[];
  /** extendedKeyUsage values: `serverAuth`, `clientAuth`. */
  readonly eku?: readonly string[];
  /** The issuer; self-signed when absent. */
  readonly issuer?: IssuedCertificate;
}

/** Issues an EC P-256 certificate with `openssl`. Overwrites existing files of the same name. */
export function issueCertificate(options: IssueOptions): IssuedCertificate {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(options.dir, `${options.name}.pem`);
  const keyFile = path.join(options.dir, `${options.name}.key`);
  const work = path.join(options.dir, `.${options.name}.${randomBytes(4).toString('hex')}`);
  mkdirSync(work, { recursive: true });
  try {
    const ext = [
      options.ca ? 'basicConstraints = critical, CA:TRUE' : 'basicConstraints = critical, CA:FALSE',
      options.ca ? 'keyUsage = critical, keyCertSign, cRLSign, digitalSignature' : 'keyUsage = critical, digitalSignature',
      'subjectKeyIdentifier = hash',
      ...(options.issuer ? ['authorityKeyIdentifier = keyid'] : []),
      ...(options.san && options.san.length > 0 ? [`subjectAltName = ${options.san.join(', ')}`] : []),
      ...(options.eku && options.eku.length > 0 ? [`extendedKeyUsage = ${options.eku.join(', ')}`] : []),
    ];
    const config = path.join(work, 'openssl.cnf');
    writeFileSync(config, ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', '[ext]', ...ext, ''].join('\n'));
    const csr = path.join(work, 'req.csr');
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-config', config,
      '-subj', options.subject, '-keyout', keyFile, '-out', csr]);
    chmodSync(keyFile, 0o600);
    const serial = `0x${randomBytes(16).toString('hex')}`;
    const args = ['x509', '-req', '-in', csr, '-set_serial', serial, '-sha256', '-days', String(options.days),
      '-extfile', config, '-extensions', 'ext', '-out', certFile];
    if (options.issuer) args.push('-CA', options.issuer.certFile, '-CAkey', options.issuer.keyFile);
    else args.push('-key', keyFile);
    openssl(args);
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The dev certificates of the edge. */
export interface DevCertificates {
  readonly ca: IssuedCertificate;
  readonly server: IssuedCertificate;
}

/** Certificates expiring sooner than this are replaced. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/**
 * Returns the dev CA (`dev-ca.pem`) and the edge's server certificate
 * (`edge.pem`, for `127.0.0.1`, `::1` and `localhost`) in `dir`, creating or
 * renewing them when missing, expiring or not issued by the current CA.
 */
export function ensureDevCertificates(dir: string): DevCertificates {
  let ca = load(dir, 'dev-ca');
  if (ca === undefined || !fresh(ca)) {
    ca = issueCertificate({ dir, name: 'dev-ca', subject: '/O=iam-service local/CN=iam-service local dev CA', days: 3650, ca: true });
  }
  let server = load(dir, 'edge');
  if (server === undefined || !fresh(server) || !issuedBy(server, ca)) {
    server = issueCertificate({
      dir,
      name: 'edge',
      subject: '/O=iam-service local/CN=localhost',
      days: 365,
      san: ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'],
      eku: ['serverAuth'],
      issuer: ca,
    });
  }
  return { ca, server };
}

function load(dir: string, name: string): IssuedCertificate | undefined {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

function fresh(c: IssuedCertificate): boolean {
  try {
    return new Date(new X509Certificate(c.cert).validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

function issuedBy(c: IssuedCertificate, ca: IssuedCertificate): boolean {
  try {
    const caCert = new X509Certificate(ca.cert);
    return new X509Certificate(c.cert).verify(caCert.publicKey);
  } catch {
    return false;
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
