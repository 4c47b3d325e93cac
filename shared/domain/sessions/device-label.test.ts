import { describe, expect, it } from 'vitest';
import { deviceLabel } from './device-label.ts';

describe('deviceLabel', () => {
  it.each([
    ['pixel-8', 'anything', 'pixel-8'],
    [null, 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Linux'],
    [null, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0', 'Edge on Windows'],
    [null, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
    [null, 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36', 'Chrome on Android'],
    [undefined, 'okhttp/4.12.0', 'Android app'],
    [null, 'curl/8.5.0', 'curl'],
    [null, 'SomethingElse/1.0', 'unknown device'],
    [null, undefined, 'unknown device'],
    ['', undefined, 'unknown device'],
    ['x'.repeat(100), undefined, 'x'.repeat(64)],
  ])('%j, %j -> %s', (id, ua, label) => {
    expect(deviceLabel(id, ua)).toBe(label);
  });
});
