/**
 * Expected outcomes are values, bugs throw (STYLE rule 5).
 * A use case returns `Ok<T>` or `Fail<E>`; the handler maps a `Fail` to the error envelope.
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** A successful outcome. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** An expected, typed failure. */
export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
