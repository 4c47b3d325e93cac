/**
 * Reading an outbound HTTP response body with a size cap, for the adapters
 * that call other services (HIBP range API, the risk classifier).
 */

/** The body as text, or undefined past `max` bytes. Aborting the fetch's signal aborts this read too. */
export async function readCapped(res: Response, max: number): Promise<string | undefined> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
