/**
 * `npm run iamctl -- <noun> <verb> [flags] [--json]`: the operator CLI
 * (SPEC section 5). Commands live in `scripts/iamctl/commands/<noun>/<verb>.ts`;
 * see docs/iamctl.md.
 */
import { main } from './iamctl/main.ts';

const code = await main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
});
// Google clients keep channels open; the answer is printed, so leave now.
process.exit(code);
