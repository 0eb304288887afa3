/**
 * The packed package.json carries no `prepare` script (npm 11 would list it as an install script
 * not covered by `allowScripts`), and `npm pack` leaves the repository's package.json as it was.
 * Runs scripts/pack-manifest.mjs (the prepack/postpack hooks) on a copy in a temp folder.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../cli/support.js';

const SCRIPT = join(REPO, 'scripts/pack-manifest.mjs');
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function copyOfManifest(): string {
  const dir = mkdtempSync(join(tmpdir(), 'safetynet-pack-'));
  folders.push(dir);
  copyFileSync(join(REPO, 'package.json'), join(dir, 'package.json'));
  return dir;
}

const run = (mode: string, dir: string) => execFileSync(process.execPath, [SCRIPT, mode, dir]);

describe('the packed manifest', () => {
  it('the repository builds dist/ through prepare, and pack strips and restores it through prepack/postpack', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toBeDefined();
    expect(pkg.scripts.prepack).toBe('node scripts/pack-manifest.mjs strip');
    expect(pkg.scripts.postpack).toBe('node scripts/pack-manifest.mjs restore');
    expect(pkg.files).not.toContain('scripts');
  });

  it('a packed package has no install script of its own, and the manifest comes back byte for byte', () => {
    const dir = copyOfManifest();
    const original = readFileSync(join(dir, 'package.json'), 'utf8');
    run('strip', dir);
    const packed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(packed.scripts[script]).toBeUndefined();
    expect(packed.dependencies).toEqual(JSON.parse(original).dependencies);
    run('restore', dir);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(original);
    expect(existsSync(join(dir, 'package.json.prepack'))).toBe(false);
  });

  it('a strip after an interrupted pack first restores the kept manifest', () => {
    const dir = copyOfManifest();
    const original = readFileSync(join(dir, 'package.json'), 'utf8');
    run('strip', dir);
    writeFileSync(join(dir, 'package.json'), '{"half": "written"}\n');
    run('strip', dir);
    run('restore', dir);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(original);
  });
});
