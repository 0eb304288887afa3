/**
 * Smoke test of the benchmark harness (`bench/run.mjs --quick`): it completes, writes every section
 * and only finite numbers. No time is asserted here — the figures live in BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const SECTIONS = [
  'cli-overhead',
  'cold-start',
  'api-overhead',
  'failover',
  'concurrency',
  'store',
  'memory',
  'profiles',
  'serve',
  'replicas',
];

interface BenchJson {
  machine: { cores: number; node: string };
  quick: boolean;
  sections: Array<{
    id: string;
    title: string;
    figures: Record<string, unknown>;
    targets: Array<{ name: string; value: unknown; met: unknown }>;
    error?: string;
  }>;
}

/** `node bench/run.mjs …`, killed past `timeoutMs`; resolves with the exit code and the output. */
function runHarness(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bench/run.mjs'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('benchmark harness (quick smoke run)', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('completes, reports every section, and every figure is a finite number', async () => {
    if (!existsSync(path.join(REPO, 'dist/index.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
    dir = await mkdtemp(path.join(tmpdir(), 'safetynet-bench-smoke-'));
    const out = path.join(dir, 'BENCHMARKS.md');
    const json = path.join(dir, 'bench.json');
    const run = await runHarness(['--quick', '--out', out, '--json', json], 150_000);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code, run.stderr).toBe(0);

    const data = JSON.parse(await readFile(json, 'utf8')) as BenchJson;
    expect(data.quick).toBe(true);
    expect(data.machine.cores).toBeGreaterThan(0);
    expect(data.sections.map((section) => section.id)).toEqual(SECTIONS);
    for (const section of data.sections) {
      expect(section.error, section.id).toBeUndefined();
      const figures = Object.entries(section.figures);
      expect(figures.length, section.id).toBeGreaterThan(0);
      for (const [name, value] of figures) expect(Number.isFinite(value), `${section.id} ${name} = ${String(value)}`).toBe(true);
      for (const target of section.targets) {
        expect(Number.isFinite(target.value), `${section.id} target ${target.name}`).toBe(true);
        expect(typeof target.met).toBe('boolean');
      }
    }

    const report = await readFile(out, 'utf8');
    expect(report).toMatch(/^# Benchmarks/);
    expect(report).toContain('**Machine:**');
    expect(report).toContain('## What falls short and why');
    for (const section of data.sections) expect(report).toContain(`## ${section.title}`);
    expect(run.stdout).toContain('## 1. CLI path overhead');
  }, 180_000);
});
