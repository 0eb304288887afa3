/**
 * Which terminal output `safetynet agent` chooses (`src/cli/terminal-mode.ts`) from the flags,
 * which streams are terminals, `TERM` and `NO_COLOR`.
 */
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { terminalMode } from '../../src/cli/terminal-mode.js';

const stderrTerminal = { isTTY: true } as NodeJS.WriteStream;
const sink = () => undefined;
const terminal: Io = { stdout: sink, stderr: sink, stdoutIsTerminal: true, stderrTerminal };
const pipes: Io = { stdout: sink, stderr: sink, stdoutIsTerminal: false };
const env = { TERM: 'xterm-256color' };

describe('terminal mode of safetynet agent', () => {
  it('on a terminal: the status line on stderr, the reply streamed, colours', () => {
    expect(terminalMode({}, terminal, env)).toEqual({ statusLine: stderrTerminal, stream: true, color: true });
  });

  it('through pipes: no status line and no streaming, unless --stream asks for it', () => {
    expect(terminalMode({}, pipes, env)).toMatchObject({ statusLine: undefined, stream: false });
    expect(terminalMode({ stream: true }, pipes, env)).toMatchObject({ stream: true });
  });

  it('--quiet and --json draw no status line; --json and --no-stream stream nothing', () => {
    expect(terminalMode({ quiet: true }, terminal, env)).toMatchObject({ statusLine: undefined, stream: true });
    expect(terminalMode({ json: true }, terminal, env)).toMatchObject({ statusLine: undefined, stream: false });
    expect(terminalMode({ stream: false }, terminal, env)).toMatchObject({ statusLine: stderrTerminal, stream: false });
  });

  it('NO_COLOR set to a non-empty value turns colours off; an empty one does not', () => {
    expect(terminalMode({}, terminal, { ...env, NO_COLOR: '1' }).color).toBe(false);
    expect(terminalMode({}, terminal, { ...env, NO_COLOR: '' }).color).toBe(true);
  });

  it('TERM=dumb (no cursor movement): no status line and no colours', () => {
    expect(terminalMode({}, terminal, { TERM: 'dumb' })).toEqual({ statusLine: undefined, stream: true, color: false });
  });
});
