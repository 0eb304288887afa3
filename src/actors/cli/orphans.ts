/**
 * Nothing a CLI run started outlives safetynet by more than a moment, even after `kill -9`
 * (issue 13, case 2). Linux only (it needs `/proc`); elsewhere every function here is a no-op.
 *
 * Three layers, each covering what the one before cannot:
 * 1. **parent-death signal**: the CLI is spawned through `setpriv --pdeathsig KILL` (util-linux), so
 *    the kernel SIGKILLs the direct child when safetynet dies. No extra process: setpriv execs the
 *    CLI. Without setpriv the CLI is spawned as before and layers 2 and 3 still apply.
 * 2. **a watcher** per safetynet process, started at its first recorded group or folder: a `/bin/sh`
 *    blocked on a pipe from safetynet (no CPU, about 1 MB). When the pipe closes (safetynet ended,
 *    however) it runs {@link REAP_SCRIPT} for its owner: the other members of every recorded process
 *    group get SIGKILL and recorded temp folders are removed, within milliseconds.
 * 3. **records**: every spawned process group and every temp folder (images, a run's TMPDIR) is a small file under
 *    `$SAFETYNET_HOME/run/` while it lives; {@link reapOrphans} (at every runtime creation) reaps the
 *    records whose owner is gone, in case the watcher was killed too.
 *
 * A record names its owner as `<pid>.<start time>` and the group as `<pgid> <start time>` (start times
 * in clock ticks since boot, field 22 of `/proc/<pid>/stat`): a process is only killed when it belongs
 * to the recorded group and started no earlier than the group's leader, nothing is killed when the
 * leader's pid belongs to a process with another start time, and nothing is done for an owner whose
 * pid is alive with the same start time, so a reused PID is never killed. (Left open: a recorded
 * group that ended, whose id was then reused by a new group whose own leader has died too; the
 * watcher reaps within milliseconds of its owner's death, so this needs the watcher killed too.)
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folder name of the records inside `SAFETYNET_HOME`. */
export const RUN_FOLDER_NAME = 'run';

/** Where `setpriv` is looked for (the util-linux locations). */
const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

/**
 * The reaper, as a POSIX `sh` script: `sh -c REAP_SCRIPT reap <runDir> <owner> <mode>`. Mode `watch`
 * first blocks until its stdin closes (its owner has ended), then reaps every record of `<owner>`;
 * mode `now` reaps at once the records of `<owner>` (`*`: of any owner) whose owner is gone (its pid
 * dead, a zombie, or alive with another start time). Reaping a record SIGKILLs the recorded group's
 * members (pgrp = pgid and start time ≥ the leader's, read from /proc without forking) unless the
 * leader's pid now belongs to another process (then the group is gone: Linux frees a pid only when
 * no process has it as pid, group or session id), or removes the recorded folder (only one named
 * `safetynet-images-*` or `safetynet-tmp-*`: a run's private temp folder, `./temp-dir.ts`); then it
 * deletes the record.
 */
export const REAP_SCRIPT = `
start_of() { s=; read -r s < "/proc/$1/stat" 2>/dev/null || return 1; set -- \${s##*) }; case $1 in Z|X) return 1 ;; esac; shift 19; echo "$1"; }
any_start() { s=; read -r s < "/proc/$1/stat" 2>/dev/null || return 1; set -- \${s##*) }; shift 19; echo "$1"; }
dir=$1 owner=$2 mode=$3
[ "$mode" = watch ] && while read -r _; do :; done
for f in "$dir"/group.$owner.* "$dir"/folder.$owner.*; do
  [ -f "$f" ] || continue
  name=\${f##*/}; rest=\${name#*.}; opid=\${rest%%.*}; rest=\${rest#*.}; ostart=\${rest%%.*}
  [ "$mode" = now ] && [ "$(start_of "$opid")" = "$ostart" ] && continue
  case $name in
  group.*)
    read -r pgid start < "$f" || { rm -f "$f"; continue; }
    leader=$(any_start "$pgid")
    [ -n "$leader" ] && [ "$leader" != "$start" ] && { rm -f "$f"; continue; }
    for p in /proc/[0-9]*; do
      s=; read -r s < "$p/stat" 2>/dev/null || continue
      set -- \${s##*) }
      [ "$3" = "$pgid" ] || continue
      shift 19
      [ "$1" -ge "$start" ] 2>/dev/null && kill -KILL "\${p#/proc/}" 2>/dev/null
    done ;;
  folder.*)
    read -r folder < "$f" || folder=
    case $folder in */safetynet-images-*|*/safetynet-tmp-*) rm -rf -- "$folder" ;; esac ;;
  esac
  rm -f "$f"
done
`;

let setprivPath: string | null | undefined;

/**
 * The `setpriv` executable that gives a spawned CLI a parent-death SIGKILL, or `undefined` when
 * there is none (not Linux, or util-linux's setpriv missing): the CLI is then spawned directly.
 * Looked up once per process.
 */
export function pdeathsigWrapper(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath = null;
    if (process.platform === 'linux') {
      for (const candidate of SETPRIV_PATHS) {
        try {
          accessSync(candidate, constants.X_OK);
          setprivPath = candidate;
          break;
        } catch {
          // not here
        }
      }
    }
  }
  return setprivPath ?? undefined;
}

/** `argv` for spawning `command` through `setpriv --pdeathsig KILL`: `[setpriv, ['--pdeathsig', 'KILL', '--', command, ...argv]]`. */
export function withPdeathsig(setpriv: string, command: string, argv: readonly string[]): [string, string[]] {
  return [setpriv, ['--pdeathsig', 'KILL', '--', command, ...argv]];
}

/**
 * The spawn error behind a run through setpriv that could not exec the CLI: setpriv exits 127
 * (ENOENT) or 126 (EACCES, …) after printing `setpriv: failed to execute <command>: <error>`.
 *
 * @param text - the run's stderr.
 * @returns the spawn error code (`ENOENT`, `EACCES`, `EEXEC`), or `undefined` when the CLI did run.
 */
export function setprivExecFailure(exitCode: number | undefined, text: string): string | undefined {
  if (exitCode !== 127 && exitCode !== 126) return undefined;
  if (!text.startsWith('setpriv: failed to execute')) return undefined;
  if (exitCode === 127) return 'ENOENT';
  return /Permission denied/.test(text) ? 'EACCES' : 'EEXEC';
}

/**
 * Start time of `pid` in clock ticks since boot (field 22 of `/proc/<pid>/stat`), or `undefined` when
 * it is gone or a zombie (state Z/X: it has ended, only its parent has not reaped it).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

let ownerTag: string | undefined;
/** The watchers started, by run folder. */
const watchers = new Set<string>();
let recordCount = 0;

/** `<pid>.<start time>` of this process, or `undefined` without /proc. */
function owner(): string | undefined {
  if (ownerTag === undefined) {
    const start = processStartTime(process.pid);
    if (start === undefined) return undefined;
    ownerTag = `${process.pid}.${start}`;
  }
  return ownerTag;
}

/** Start the watcher of `runDir` for this process, once. Never throws (a failed start leaves layers 1 and 3). */
function ensureWatcher(runDir: string, tag: string): void {
  if (watchers.has(runDir)) return;
  watchers.add(runDir);
  try {
    const watcher = spawn('/bin/sh', ['-c', REAP_SCRIPT, 'reap', runDir, tag, 'watch'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      // it runs shell builtins and rm only; none of safetynet's environment (keys) goes to it
      env: { PATH: '/usr/bin:/bin' },
    });
    watcher.on('error', () => undefined);
    watcher.stdin?.on('error', () => undefined);
    watcher.unref();
    (watcher.stdin as { unref?: () => void } | null)?.unref?.();
  } catch {
    // no watcher: the parent-death signal and the next start's reaping remain
  }
}

/**
 * Write a record for `kind` (`group`: the text `<pgid> <start>`; `folder`: a path) under `runDir`
 * and make sure this process's watcher runs. Costs a few file operations (no process after the
 * first call).
 *
 * @returns the function that deletes the record (idempotent, never throws); a no-op when nothing
 *   could be recorded (no /proc, or the folder is not writable: the run goes on unrecorded).
 */
function record(runDir: string, kind: 'group' | 'folder', id: string, content: string): () => void {
  const tag = owner();
  if (tag === undefined) return () => {};
  const file = join(runDir, `${kind}.${tag}.${id}`);
  try {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${content}\n`, { mode: 0o600 });
  } catch {
    return () => {};
  }
  ensureWatcher(runDir, tag);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    rmSync(file, { force: true });
  };
}

/**
 * Record the process group led by `pgid` (just spawned by this process) in `runDir`.
 *
 * @returns the function to call once the group is gone; a no-op when the leader is already gone.
 */
export function recordGroup(runDir: string, pgid: number): () => void {
  const start = processStartTime(pgid);
  if (start === undefined) return () => {};
  return record(runDir, 'group', String(pgid), `${pgid} ${start}`);
}

/**
 * Record a temp folder (`<tmp>/safetynet-images-*` of a request's images, or `<tmp>/safetynet-tmp-*`
 * of a CLI run) in `runDir`, to be removed if this process dies before it removes the folder itself.
 * Other names are recorded but never removed by the reaper.
 *
 * @returns the function to call once the folder is removed.
 */
export function recordFolder(runDir: string, folder: string): () => void {
  recordCount += 1;
  return record(runDir, 'folder', String(recordCount), folder);
}

/**
 * Reap what dead safetynet processes left behind in `runDir`: members of their recorded process
 * groups (SIGKILL) and their temp folders (images, the runs' private TMPDIRs). Cheap when there is nothing to do (one `readdir`
 * and one /proc read per record); runs the reaper script only when some record's owner is gone.
 * Never throws; resolves once the reaper has finished.
 *
 * @returns how many records of dead owners were found (each one reaped).
 */
export async function reapOrphans(runDir: string): Promise<number> {
  if (process.platform !== 'linux') return 0;
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return 0;
  }
  const stale = names.filter((name) => {
    const [kind, pid, start] = name.split('.');
    if (kind !== 'group' && kind !== 'folder') return false;
    return processStartTime(Number(pid)) !== start;
  });
  if (stale.length === 0) return 0;
  await new Promise<void>((resolve) => {
    const reaper = spawn('/bin/sh', ['-c', REAP_SCRIPT, 'reap', runDir, '*', 'now'], { stdio: 'ignore' });
    reaper.on('error', () => resolve());
    reaper.on('close', () => resolve());
  });
  return stale.length;
}
