/**
 * `safetynet doctor [--json] [--config f] [--repair]`: can every configured candidate run? One line per
 * check; each problem is one line with its fix. Exit 0 when every candidate can run (warnings
 * allowed), 1 when a check failed, 2 for a bad config. `--repair` first runs LevelDB's repair on the
 * state folder and says what it recovered (exit 1 when the repair fails).
 */
import type { DoctorCheck, DoctorReport } from '../doctor/types.js';
import { UsageError } from '../errors.js';
import { EXIT, reportFailure } from './exit-codes.js';
import type { Io } from './io.js';

/** Flags of `safetynet doctor`. */
export interface DoctorFlags {
  config?: string;
  json?: boolean;
  /** Repair the LevelDB state folder (a damaged `CURRENT`/`MANIFEST`, missing table files) before the checks. */
  repair?: boolean;
}

/** Run the checks and print them (through the one redactor, `createRedactor`); resolves with the exit code. */
export async function doctorCommand(flags: DoctorFlags, io: Io): Promise<number> {
  try {
    const { loadConfig } = await import('../config/index.js');
    const { defaultStoreLocation } = await import('../store/state-location.js');
    const { runDoctor } = await import('../doctor/doctor.js');
    const config = await loadConfig({ env: process.env, ...(flags.config === undefined ? {} : { file: flags.config }) });
    const storeLocation = defaultStoreLocation(process.env);
    // The one redactor: a base URL with credentials, a key a CLI printed, … never in clear.
    const { configSecrets, createRedactor } = await import('../inspection/sanitize.js');
    const redact = createRedactor(configSecrets(config));
    let repair: import('../doctor/repair.js').RepairReport | undefined;
    if (flags.repair) {
      if (config.store.kind !== 'level')
        throw new UsageError('doctor --repair repairs a LevelDB state folder; this config keeps the state in Redis');
      const { formatRepair, repairStateFolder } = await import('../doctor/repair.js');
      repair = await repairStateFolder(storeLocation);
      if (!flags.json) io.stdout(redact(`${formatRepair(repair)}\n`));
    }
    const report = await runDoctor({ config, storeLocation });
    io.stdout(redact(flags.json ? `${JSON.stringify(repair === undefined ? report : { ...report, repair })}\n` : formatReport(report)));
    return report.ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    return reportFailure(error, io);
  }
}

const MARK = { ok: 'ok  ', warning: 'warn', error: 'FAIL' } as const;

function line(check: DoctorCheck, width: number): string {
  const mark = check.ok ? MARK.ok : MARK[check.level ?? 'error'];
  const name = check.check.padEnd(width);
  if (check.ok) return `  ${mark}  ${name}  ${check.detail ?? ''}`.trimEnd();
  return `  ${mark}  ${name}  ${check.problem ?? check.detail ?? ''}${check.fix === undefined ? '' : ` — fix: ${check.fix}`}`;
}

/** The human-readable report: one block per candidate, then the state folder, then a summary line. */
export function formatReport(report: DoctorReport): string {
  const width = 8; // the longest check name ("cooldown", "provider"): columns line up across reports
  const groups = [...report.candidates, 'state'];
  const out = [`safetynet doctor — config: ${report.config ?? 'none (built-in defaults)'}, state: ${report.storeLocation}`, ''];
  for (const group of groups) {
    const checks = report.checks.filter((check) => check.candidate === group);
    if (checks.length === 0) continue;
    out.push(group === 'state' ? 'state folder' : group);
    out.push(...checks.map((check) => line(check, width)));
    out.push('');
  }
  const errors = report.checks.filter((check) => !check.ok && check.level !== 'warning').length;
  const warnings = report.checks.filter((check) => !check.ok && check.level === 'warning').length;
  const counts = `${errors} problem${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  out.push(report.ok ? `every candidate can run (${counts})` : `not every candidate can run (${counts})`);
  return `${out.join('\n')}\n`;
}
