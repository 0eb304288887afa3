/**
 * The one type guard for "a JSON object" (config values, CLI output records, SDK error bodies). It
 * lives in config, the lowest layer that reads such values, so that every user imports it downward.
 */

/** A parsed JSON object (or any non-array object read field by field). */
export type JsonRecord = Record<string, unknown>;

/**
 * True for an object that is not `null` and not an array. Arrays are excluded on purpose: a caller
 * that reads named fields never wants an array's indices (`value['0']`) to pass as fields.
 */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
