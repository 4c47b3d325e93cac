/**
 * Real-browser tests: Debian's Chromium (`/usr/bin/chromium`, `.ci/run`
 * installs the `chromium` package) driven by `playwright-core`, which never
 * downloads a browser. Headless, no sandbox (containers), no network besides
 * what the test asks for, and a fresh profile per launch (`--user-data-dir`, through
 * `launchPersistentContext`) that is removed on close. `localhost` is pinned to 127.0.0.1, where the local edge listens.
 *
 * WebAuthn: `addVirtualAuthenticator` enables the CDP WebAuthn domain on a
 * page and adds a platform authenticator (CTAP2, internal transport,
 * resident keys, user verification that always succeeds), so
 * `navigator.credentials.create/get` complete without a person.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A launched browser; `close()` also removes its profile directory. */
export interface TestBrowser {
  /** The browser's one context, on the fresh profile. */
  readonly context: BrowserContext;
  /** A new tab. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile. Throws when Chromium is not installed. */
export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'iam-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP localhost 127.0.0.1',
    ],
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** A virtual authenticator on a page, and the credentials it holds. */
export interface VirtualAuthenticator {
  readonly authenticatorId: string;
  /** The credentials stored in the authenticator (CDP `WebAuthn.getCredentials`). */
  credentials(): Promise<readonly { readonly credentialId: string; readonly signCount: number; readonly rpId?: string }[]>;
}

/** Adds a CTAP2 platform authenticator with resident keys and user verification to `page` (CDP `WebAuthn` domain). */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    authenticatorId,
    async credentials() {
      const r = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return r.credentials;
    },
  };
}
