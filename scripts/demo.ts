/**
 * `npm run demo`: walks the story against the RUNNING stack (`npm start`),
 * printing each step: tenant, user, login, the access token and its
 * verification against the JWKS, refusals, a magic link, then refresh,
 * sessions, revocation and TOTP MFA where those endpoints exist (a step whose
 * endpoint answers 404 `not_found` prints "(not available yet)"). See
 * docs/demo.md.
 *
 *   npm run demo                                # the stack of .local/stack.json
 *   npm run demo -- --stack-file other/stack.json
 *
 * Exits 0 when every step that exists passed, 1 when one failed, 2 when no
 * running stack was found.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/config.ts';
import { edgeClient } from './demo/client.ts';
import { runStory } from './demo/story.ts';
import { DEFAULT_STATE_DIR, readStackInfo, stackFilePath } from './stack/stack-info.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { 'stack-file': { type: 'string' } }, allowPositionals: false });
const stackFile = path.resolve(root, values['stack-file'] ?? stackFilePath(DEFAULT_STATE_DIR));
const info = path.basename(stackFile) === 'stack.json' ? readStackInfo(path.dirname(stackFile)) : undefined;
if (info === undefined) {
  process.stderr.write(`demo: no running stack found (${path.relative(process.cwd(), stackFile) || stackFile}): start it with \`npm start\` first\n`);
  process.exit(2);
}

const config = loadConfig(info.env);
const print = (line: string): void => void process.stdout.write(`${line}\n`);
print(`iam-service demo against the stack started ${info.startedAt} (pid ${info.pid}, project ${info.projectId})`);
const counts = await runStory({ client: edgeClient(info.edge.http), stackFile, issuer: config.issuer, audience: config.audience, print, functions: Object.keys(info.functions) });
print('');
print(`demo ${counts.failed === 0 ? 'finished' : 'FAILED'}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} not available yet`);
process.exit(counts.failed === 0 ? 0 : 1);
