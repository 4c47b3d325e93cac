/**
 * A short label for a session in the user's session list: the device id the
 * client sent, or a coarse summary of its User-Agent ("Firefox on Linux").
 * Never the raw User-Agent: it is long, and a fingerprinting aid.
 */

/** The longest label stored. */
export const MAX_DEVICE_LABEL = 64;

const OS: readonly (readonly [RegExp, string])[] = [
  [/iPhone/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Android/, 'Android'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

const BROWSER: readonly (readonly [RegExp, string])[] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrome\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/okhttp/i, 'Android app'],
  [/CFNetwork/, 'iOS app'],
  [/curl\//, 'curl'],
];

/** The label of a session from the client's `device_id` and User-Agent. */
export function deviceLabel(deviceId: string | null | undefined, userAgent: string | undefined): string {
  if (deviceId !== null && deviceId !== undefined && deviceId !== '') return deviceId.slice(0, MAX_DEVICE_LABEL);
  const ua = userAgent ?? '';
  const os = OS.find(([re]) => re.test(ua))?.[1];
  const browser = BROWSER.find(([re]) => re.test(ua))?.[1];
  if (browser !== undefined && os !== undefined) return `${browser} on ${os}`;
  return browser ?? os ?? 'unknown device';
}
