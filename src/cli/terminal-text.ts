/**
 * User-provided text (session keys, CLI session ids, folders, transcript turns) on its way to a
 * terminal in human output: control characters are shown escaped, so that an ANSI sequence cannot
 * recolour, retitle or clear the terminal and a newline cannot forge a table row. `--json` output
 * never goes through here (JSON escapes them itself and must stay exact).
 */

/**
 * C0 controls (U+0000–U+001F), DEL and the C1 controls (U+007F–U+009F, which include the 8-bit CSI
 * U+009B), and the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which
 * reorder what a terminal shows.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escaped(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character (see above) escaped: `\n`, `\r`, `\t` by name, others as
 * `\xHH` (`ESC` → `\x1b`) or `\uHHHH` (bidi controls). Printable text, including other Unicode,
 * is unchanged.
 *
 * @param keep control characters to leave as they are, e.g. `'\n\t'` for a multi-line text.
 */
export function escapeControls(text: string, keep = ''): string {
  return text.replace(CONTROL, (char) => (keep.includes(char) ? char : escaped(char)));
}
