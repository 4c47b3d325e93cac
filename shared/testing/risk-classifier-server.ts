/**
 * A loopback stand-in for an AI risk classifier (docs/adaptive-mfa.md), for
 * tests and the local stack. It takes `POST /` with a JSON body and answers
 * `{score, suggestion, model}`. It can be told to answer any suggestion, to
 * hang, to answer 500, to answer garbage, or to answer late, and it records
 * every request it receives.
 */
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RiskSuggestion } from '../domain/ports.ts';

/** How the server answers. */
export type RiskClassifierServerMode = 'ok' | 'hang' | '500' | 'garbage' | 'slow';

/** The answer in `ok` (and, late, in `slow`) mode. */
export interface ClassifierAnswer {
  readonly suggestion: RiskSuggestion;
  readonly score?: number;
  readonly model?: string;
}

/** One request as the server saw it. */
export interface ReceivedClassifierRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as received. */
  readonly body: string;
}

/** A running server. */
export interface RiskClassifierServer {
  /** `http://127.0.0.1:PORT/classify`, to configure as the classifier URL. */
  readonly url: string;
  readonly requests: ReceivedClassifierRequest[];
  /** Answers `answer` from now on (mode `ok`). */
  answer(answer: ClassifierAnswer): void;
  setMode(mode: RiskClassifierServerMode): void;
  /** Stops the server and drops every open connection (hung ones included). */
  close(): Promise<void>;
}

/** Options of {@link startRiskClassifierServer}. */
export interface RiskClassifierServerOptions {
  readonly answer?: ClassifierAnswer;
  /** Milliseconds before answering in `slow` mode. */
  readonly slowMs?: number;
}

/** Starts the server on a free loopback port. */
export async function startRiskClassifierServer(options: RiskClassifierServerOptions = {}): Promise<RiskClassifierServer> {
  const requests: ReceivedClassifierRequest[] = [];
  let mode: RiskClassifierServerMode = 'ok';
  let answer: ClassifierAnswer = options.answer ?? { suggestion: 'same' };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (mode === 'hang') return; // never answer; close() drops the socket
      if (mode === '500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
        return;
      }
      if (mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"score":"high","suggestion":"nuke"}');
        return;
      }
      const body = JSON.stringify({ score: answer.score ?? 0.5, suggestion: answer.suggestion, model: answer.model ?? 'test-model-1' });
      const send = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      if (mode === 'slow') setTimeout(send, options.slowMs ?? 3000).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/classify`,
    requests,
    answer(next) {
      answer = next;
      mode = 'ok';
    },
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
