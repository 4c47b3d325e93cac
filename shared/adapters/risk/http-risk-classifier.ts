/**
 * `RiskClassifier` over HTTP (docs/adaptive-mfa.md): `POST <url>` with the
 * signals as JSON, answered by `{score, suggestion, model}`.
 *
 * Every outage is a value, never a throw: no answer within `timeoutMs`
 * (300 ms by default; `AbortSignal.timeout`, which also bounds reading the
 * body) is `timeout`; a non-200, a redirect, a network error, a body over
 * 16 KiB or a body that fails validation (valibot) is `error` with a reason.
 * The engine then lets the rules decide alone.
 *
 * Sent: the tenant, a pseudonym of the user, the masked network and the
 * rules' facts (`RiskSignals`). Never a user id, an address or a device id.
 */
import * as v from 'valibot';
import type { RiskSignals } from '../../domain/mfa/risk/classifier-policy.ts';
import type { RiskClassifier, RiskClassifierOutcome } from '../../domain/ports.ts';
import { readCapped } from '../http/read-capped.ts';

/** The default timeout: the classifier sits on the login path. */
export const DEFAULT_CLASSIFIER_TIMEOUT_MS = 300;
/** An answer is a few dozen bytes; anything past this is refused. */
const MAX_BODY_BYTES = 16 * 1024;

/** The answer, validated. Unknown members are ignored (the service may add some). */
export const ClassificationSchema = v.object({
  score: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1)),
  suggestion: v.picklist(['lower', 'same', 'raise', 'lock']),
  model: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});

/** Options of {@link createHttpRiskClassifier}. */
export interface HttpRiskClassifierOptions {
  /** The endpoint (http or https). */
  readonly url: string;
  readonly timeoutMs?: number;
  /** Extra headers per call, e.g. an ID token for a Cloud Run service (`Authorization`). */
  readonly headers?: () => Promise<Readonly<Record<string, string>>>;
}

/** Creates the HTTP classifier adapter. */
export function createHttpRiskClassifier(options: HttpRiskClassifierOptions): RiskClassifier {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('the classifier URL must be http(s)');
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLASSIFIER_TIMEOUT_MS;
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 10_000)) throw new Error('the classifier timeout must be 1..10000 ms');
  return {
    async classify(signals: RiskSignals): Promise<RiskClassifierOutcome> {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const extra = options.headers === undefined ? {} : await options.headers();
        const res = await fetch(url, {
          method: 'POST',
          headers: { ...extra, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(signals),
          signal,
          redirect: 'error',
        });
        if (res.status !== 200) {
          await res.body?.cancel().catch(() => undefined);
          return { kind: 'error', reason: `http_${res.status}` };
        }
        const text = await readCapped(res, MAX_BODY_BYTES);
        if (text === undefined) return { kind: 'error', reason: 'body_too_large' };
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return { kind: 'error', reason: 'invalid_json' };
        }
        const parsed = v.safeParse(ClassificationSchema, json);
        if (!parsed.success) return { kind: 'error', reason: 'invalid_response' };
        return { kind: 'ok', ...parsed.output };
      } catch (err) {
        if (signal.aborted || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))) return { kind: 'timeout' };
        return { kind: 'error', reason: 'network' };
      }
    },
  };
}
