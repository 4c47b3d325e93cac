/**
 * JSON-line logs in the Cloud Logging structured format
 * (`severity`, `message`, `logging.googleapis.com/trace`).
 *
 * Secrets never reach a log line: fields whose names look like a secret are
 * replaced with `[redacted]`, and IP addresses are masked to their /24 or /48.
 */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Structured fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The logging port used everywhere. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  critical(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields`. */
  child(fields: LogFields): Logger;
}

/** Field names whose values are never logged. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|authori[sz]ation|cookie|(^|_)otp|(^|_)codes?$|csr|private|pepper|credential|jwt|assertion|signature|(^|_)hash$|pem|^d$|api[_-]?key/i;
/** Field names that hold an IP address. */
const IP_KEY = /(^|_)ip$|^ip_|ip_address|forwarded/i;

const ORDER: Record<Severity, number> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4, CRITICAL: 5 };

/** Masks an IPv4 address to its /24 and an IPv6 address to its /48. */
export function maskIp(ip: string): string {
  // An optional `:port` is dropped with the host part.
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}(?::\d{1,5})?$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  // Only a plain IPv6 address is cut to its /48; anything else is masked whole.
  if (ip.includes(':') && /^[0-9a-f:]+$/i.test(ip)) {
    const head = ip.split('::')[0] ?? '';
    const groups = head.split(':').filter((g) => g !== '');
    while (groups.length < 3) groups.push('0');
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return '[masked]';
}

/** Returns a copy of `value` that is safe to log. */
export function redact(value: unknown, key = '', depth = 0): unknown {
  if (key !== '' && SECRET_KEY.test(key)) return '[redacted]';
  if (typeof value === 'string') return key !== '' && IP_KEY.test(key) ? maskIp(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[deep]';
  if (Array.isArray(value)) return value.map((v) => redact(v, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1);
  return out;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  readonly service: string;
  readonly level?: Severity;
  /** Where lines go; stdout by default. */
  readonly write?: (line: string) => void;
}

/** Creates a JSON-line logger for one service. */
export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const min = ORDER[options.level ?? 'INFO'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const emit = (severity: Severity, message: string, fields: LogFields = {}): void => {
    if (ORDER[severity] < min) return;
    const safe = redact({ ...base, ...fields }) as Record<string, unknown>;
    // The Cloud Logging members come last: a field cannot overwrite severity or message.
    write(JSON.stringify({ ...safe, severity, message, time: new Date().toISOString(), service: options.service }));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    notice: (m, f) => emit('NOTICE', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    critical: (m, f) => emit('CRITICAL', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything (for tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ service: 'silent', write: () => undefined });
