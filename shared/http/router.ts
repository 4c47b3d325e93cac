import { IamError } from '../domain/errors.ts';
import type { Handler, HttpRequest } from './types.ts';

/** One route: a method, a path pattern with `:param` segments, a handler. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly handler: Handler;
}

interface Compiled extends Route {
  readonly parts: readonly string[];
}

/**
 * Builds a handler that dispatches on method and path: an unknown path is
 * 404 `not_found`, a known path with another method is 405 `method_not_allowed`.
 */
export function router(routes: readonly Route[]): Handler {
  const compiled: Compiled[] = routes.map((r) => ({ ...r, parts: split(r.path) }));
  return async (req) => {
    const parts = split(req.path);
    let pathMatched = false;
    for (const route of compiled) {
      const params = match(route.parts, parts);
      if (params === undefined) continue;
      pathMatched = true;
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      if (route.method !== method) continue;
      const withParams: HttpRequest = { ...req, params };
      return route.handler(withParams);
    }
    if (pathMatched) throw new IamError('method_not_allowed', `${req.method} is not allowed on this path`);
    throw new IamError('not_found', 'no such endpoint');
  };
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

function match(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const actual = parts[i] as string;
    if (p.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = decoded;
    } else if (p !== actual) {
      return undefined;
    }
  }
  return params;
}
