import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../log.ts';
import { CONTRACT_PASSWORDS, breachListContract } from '../hibp/breach-list-contract.ts';
import { createOfflineBreachList, parseHashList } from './offline-breach-list.ts';

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();
const root = mkdtempSync(join(tmpdir(), 'offline-breach-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function make(path: string, minCount?: number) {
  const lines: string[] = [];
  const list = createOfflineBreachList({
    path,
    log: createLogger({ service: 'test', write: (l) => lines.push(l) }),
    ...(minCount === undefined ? {} : { minCount }),
  });
  return { list, lines };
}

// The contract over both layouts, built from the same passwords.
const contractDir = join(root, 'contract-ranges');
mkdirSync(contractDir);
const contractFile = join(root, 'contract-hashes.txt');
const ranges = new Map<string, string[]>();
for (const [password, count] of Object.entries(CONTRACT_PASSWORDS)) {
  const hex = sha1(password);
  ranges.set(hex.slice(0, 5), [...(ranges.get(hex.slice(0, 5)) ?? []), `${hex.slice(5)}:${count}`]);
}
for (const [prefix, lines] of ranges) writeFileSync(join(contractDir, `${prefix}.txt`), lines.join('\r\n'));
writeFileSync(contractFile, Object.entries(CONTRACT_PASSWORDS).map(([p, c]) => `${sha1(p)}:${c}`).join('\n'));
breachListContract('offline list, directory of range files', () => make(contractDir).list);
breachListContract('offline list, file of full hashes', () => make(contractFile).list);

describe('offline breach list: directory of range files', () => {
  const dir = join(root, 'ranges');
  mkdirSync(dir);
  const breached = sha1('P@ssw0rd');
  const padded = sha1('padding only');
  writeFileSync(join(dir, `${breached.slice(0, 5)}.txt`), `0000000000000000000000000000000000A:3\r\n${breached.slice(5)}:52256\r\n`);
  writeFileSync(join(dir, `${padded.slice(0, 5)}.txt`), `${padded.slice(5).toLowerCase()}:0\n`);

  it('answers breached for a suffix listed in its prefix file', async () => {
    const { list } = make(dir);
    expect(await list.check('P@ssw0rd')).toBe('breached');
    expect(list.metrics.snapshot()).toMatchObject({ checks: 1, breached: 1 });
  });

  it('answers clean for a missing prefix file, and for a count-0 entry', async () => {
    const { list } = make(dir);
    expect(await list.check('a long and unremarkable passphrase')).toBe('clean');
    expect(await list.check('padding only')).toBe('clean');
    expect(list.metrics.snapshot()).toMatchObject({ checks: 2, clean: 2 });
  });

  it('honours minCount', async () => {
    const { list } = make(dir, 100_000);
    expect(await list.check('P@ssw0rd')).toBe('clean');
  });

  it('fails open on a malformed range file, logs without the password and counts', async () => {
    const bad = join(root, 'bad-ranges');
    mkdirSync(bad);
    writeFileSync(join(bad, `${breached.slice(0, 5)}.txt`), '<html>oops</html>');
    const { list, lines } = make(bad);
    expect(await list.check('P@ssw0rd')).toBe('unknown');
    expect(list.metrics.snapshot()).toMatchObject({ fail_open: 1, fail_open_by_reason: { local_source: 1 } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"reason":"local_source"');
    expect(lines[0]).not.toContain('P@ssw0rd');
    expect(lines[0]?.toUpperCase()).not.toContain(breached.slice(0, 5));
  });
});

describe('offline breach list: single file of full hashes', () => {
  const file = join(root, 'hashes.txt');
  writeFileSync(
    file,
    ['# a curated list', sha1('password'), `${sha1('123456').toLowerCase()}:37359195`, `${sha1('seen as zero')}:0`, ''].join('\n'),
  );

  it('answers breached for a bare hash and a HASH:COUNT line, clean otherwise', async () => {
    const { list } = make(file);
    expect(await list.check('password')).toBe('breached');
    expect(await list.check('123456')).toBe('breached');
    expect(await list.check('seen as zero')).toBe('clean');
    expect(await list.check('not in the list at all')).toBe('clean');
  });

  it('fails open when the path does not exist, then recovers once it does', async () => {
    const later = join(root, 'later.txt');
    const { list, lines } = make(later);
    expect(await list.check('password')).toBe('unknown');
    expect(lines[0]).toContain('"detail":"ENOENT"');
    expect(lines[0]).not.toContain(root);
    writeFileSync(later, `${sha1('password')}\n`);
    expect(await list.check('password')).toBe('breached');
  });

  it('refuses a malformed file as a whole', () => {
    expect(parseHashList(`${sha1('a')}\nnot a hash\n`)).toBeUndefined();
    expect(parseHashList(`${sha1('a').slice(1)}\n`)).toBeUndefined();
    expect(parseHashList(`${sha1('a')}:12\n`)).toEqual(new Map([[sha1('a'), 12]]));
  });
});
