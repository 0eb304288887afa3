/**
 * Stage the images of one request as private temp files the CLI can read.
 *
 * Rationale: `docs/cli-contracts.md#images`, after the spec's "Images" (base64 images are written to
 * temp files; the paths go to `imageArg` or into the prompt) and the spec-era reference (a fresh
 * `mkdtemp` folder with `image-<n>.<ext>`, folder 0700, files 0600, removed after the run). Path
 * inputs are copied too, so the CLI only ever sees the private copy.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttemptError, SafetynetError, UsageError } from '../errors.js';
import type { StagedImage } from '../actors/types.js';
import { recordFolder } from '../actors/cli/orphans.js';

/** One image of a request: a file path (`--image <path>`) or base64 data. */
export type ImageInput = { path: string } | { data: string; mimeType?: string };

/** Options of {@link stageImages}. */
export interface StageImagesOptions {
  /** Largest accepted image in bytes (decoded). @default 20971520 (20 MiB) */
  maxBytes?: number;
  /** Parent of the staging folder. @default os.tmpdir() */
  tmpDir?: string;
  /** Stops staging; what was staged is removed. */
  signal?: AbortSignal;
  /**
   * Folder of the crash records (`$SAFETYNET_HOME/run`): the staging folder is recorded there until
   * `dispose()`, so the next start removes it if this process dies first (`kill -9`). Unset: not recorded.
   */
  runDir?: string;
}

/** The staged images and how to remove them. */
export interface StagedImages {
  /** The private folder (0700), or `undefined` when there were no images. */
  dir: string | undefined;
  /** One entry per input, in input order (files 0600). */
  images: StagedImage[];
  /** Remove the folder recursively. Idempotent; never throws for a folder already gone. */
  dispose(): Promise<void>;
}

/** Default `maxBytes`: 20 MiB. */
export const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const TYPES: ReadonlyArray<{ mimeType: string; ext: string; test: (b: Buffer) => boolean }> = [
  {
    mimeType: 'image/png',
    ext: 'png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { mimeType: 'image/jpeg', ext: 'jpg', test: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mimeType: 'image/gif', ext: 'gif', test: (b) => ['GIF87a', 'GIF89a'].includes(b.subarray(0, 6).toString('latin1')) },
  {
    mimeType: 'image/webp',
    ext: 'webp',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
];

/**
 * Detect an image type from its first bytes (PNG, JPEG, GIF, WebP).
 *
 * @returns the MIME type and file extension, or `undefined` for anything else.
 */
export function detectImageType(bytes: Buffer): { mimeType: string; ext: string } | undefined {
  const type = TYPES.find((candidate) => candidate.test(bytes));
  return type === undefined ? undefined : { mimeType: type.mimeType, ext: type.ext };
}

/**
 * Copy or decode every image into a fresh private folder `<tmpDir>/safetynet-images-XXXXXX`
 * (mode 0700) as `image-<n>.<ext>` (mode 0600, `n` from 1). The type comes from the magic bytes,
 * never from a declared `mimeType` or the file name. Zero images create no folder.
 *
 * @throws {UsageError} code `SAFETYNET_IMAGE_INVALID`, naming the image (`--image <path>` or
 *   `images[<i>] (base64)`) and what to do, for an unreadable or missing file, a directory, an empty
 *   or oversize image, invalid base64 or an unknown type. Anything already staged is removed first.
 * @throws {AttemptError} reason `aborted` when `options.signal` aborts (staged files removed).
 */
export async function stageImages(images: readonly ImageInput[], options: StageImagesOptions = {}): Promise<StagedImages> {
  if (images.length === 0) return { dir: undefined, images: [], dispose: async () => {} };
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const { signal } = options;
  throwIfAborted(signal);
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'safetynet-images-'));
  const forget = options.runDir === undefined ? () => {} : recordFolder(options.runDir, dir);
  const dispose = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    forget();
  };
  try {
    await chmod(dir, 0o700);
    const staged: StagedImage[] = [];
    for (const [index, image] of images.entries()) {
      throwIfAborted(signal);
      const bytes = 'path' in image ? await readImageFile(image.path, maxBytes, signal) : decodeImage(image.data, index, maxBytes);
      const label = 'path' in image ? `--image ${image.path}` : `images[${index}] (base64)`;
      const type = detectImageType(bytes);
      if (type === undefined) {
        throw invalid(`${label} is not a PNG, JPEG, GIF or WebP image (unknown file signature): convert it to one of those formats`);
      }
      const path = join(dir, `image-${index + 1}.${type.ext}`);
      await writeFile(path, bytes, { mode: 0o600, flag: 'wx', ...(signal === undefined ? {} : { signal }) });
      await chmod(path, 0o600);
      staged.push({ path, mimeType: type.mimeType });
    }
    return { dir, images: staged, dispose };
  } catch (error) {
    await dispose();
    if (signal?.aborted && !SafetynetError.is(error)) throw abortedError(error);
    throw error;
  }
}

async function readImageFile(path: string, maxBytes: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const label = `--image ${path}`;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw invalid(`${label}: cannot read the file (${codeOf(error)}): check the path and its permissions`, error);
  }
  if (info.isDirectory()) throw invalid(`${label} is a directory: pass an image file (PNG, JPEG, GIF or WebP)`);
  if (!info.isFile()) throw invalid(`${label} is not a regular file: pass an image file (PNG, JPEG, GIF or WebP)`);
  if (info.size > maxBytes) throw invalid(`${label} is ${info.size} bytes, more than the ${maxBytes}-byte limit: resize or compress it`);
  let bytes: Buffer;
  try {
    bytes = await readFile(path, signal === undefined ? {} : { signal });
  } catch (error) {
    if (signal?.aborted) throw abortedError(error);
    throw invalid(`${label}: cannot read the file (${codeOf(error)}): check the path and its permissions`, error);
  }
  if (bytes.length === 0) throw invalid(`${label} is empty: pass a non-empty image file`);
  if (bytes.length > maxBytes)
    throw invalid(`${label} is ${bytes.length} bytes, more than the ${maxBytes}-byte limit: resize or compress it`);
  return bytes;
}

function decodeImage(data: string, index: number, maxBytes: number): Buffer {
  const label = `images[${index}] (base64)`;
  const body = data.replace(/^data:[^,]*;base64,/i, '').replace(/\s+/g, '');
  if (body === '') throw invalid(`${label} is empty: send the image bytes base64-encoded`);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(body) || body.length % 4 === 1) {
    throw invalid(`${label} is not valid base64: send the image bytes base64-encoded (optionally as a data: URL)`);
  }
  if (Math.floor((body.length * 3) / 4) > maxBytes + 2) {
    throw invalid(`${label} is larger than the ${maxBytes}-byte limit: resize or compress it`);
  }
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length === 0) throw invalid(`${label} is empty: send the image bytes base64-encoded`);
  if (bytes.length > maxBytes)
    throw invalid(`${label} is ${bytes.length} bytes, more than the ${maxBytes}-byte limit: resize or compress it`);
  return bytes;
}

function invalid(message: string, cause?: unknown): UsageError {
  return new UsageError(message, { code: 'SAFETYNET_IMAGE_INVALID', ...(cause === undefined ? {} : { cause }) });
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal.reason);
}

function abortedError(cause: unknown): AttemptError {
  return new AttemptError('aborted', 'aborted while staging images', { cause });
}
