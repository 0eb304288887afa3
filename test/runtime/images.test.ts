import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectImageType, stageImages, type ImageInput } from '../../src/runtime/images.js';
import { type AttemptError, UsageError } from '../../src/errors.js';

const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const GIF87 = Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1');
const GIF89 = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);

let root: string; // the tmpDir handed to stageImages
let inputs: string; // where the test's input files live

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'safetynet-images-test-'));
  inputs = await mkdtemp(join(tmpdir(), 'safetynet-images-inputs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(inputs, { recursive: true, force: true });
});

async function invalid(images: ImageInput[], options: { maxBytes?: number } = {}): Promise<UsageError> {
  const error = await stageImages(images, { tmpDir: root, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).code).toBe('SAFETYNET_IMAGE_INVALID');
  expect(await readdir(root)).toEqual([]); // nothing left behind
  return error as UsageError;
}

describe('stageImages', () => {
  it('zero images create no folder', async () => {
    const staged = await stageImages([], { tmpDir: root });
    expect([staged.dir, staged.images]).toEqual([undefined, []]);
    expect(await readdir(root)).toEqual([]);
    await staged.dispose();
  });

  it('stages into a 0700 folder as image-<n>.<ext> files with mode 0600', async () => {
    const jpegPath = join(inputs, 'photo.jpeg');
    await writeFile(jpegPath, JPEG, { mode: 0o644 });
    const staged = await stageImages([{ data: PNG_1x1, mimeType: 'image/png' }, { path: jpegPath }], { tmpDir: root });
    expect(staged.dir).toBeDefined();
    expect(staged.dir!.startsWith(join(root, 'safetynet-images-'))).toBe(true);
    expect((await stat(staged.dir!)).mode & 0o777).toBe(0o700);
    expect(staged.images).toEqual([
      { path: join(staged.dir!, 'image-1.png'), mimeType: 'image/png' },
      { path: join(staged.dir!, 'image-2.jpg'), mimeType: 'image/jpeg' },
    ]);
    for (const image of staged.images) expect((await stat(image.path)).mode & 0o777).toBe(0o600);
    expect((await readFile(staged.images[0]!.path)).equals(Buffer.from(PNG_1x1, 'base64'))).toBe(true);
    await staged.dispose();
  });

  it('path inputs are copied in: the CLI only sees the private copy', async () => {
    const original = join(inputs, 'x.gif');
    await writeFile(original, GIF89);
    const staged = await stageImages([{ path: original }], { tmpDir: root });
    expect(staged.images[0]!.path).not.toBe(original);
    await writeFile(original, 'changed');
    expect((await readFile(staged.images[0]!.path)).equals(GIF89)).toBe(true);
    await staged.dispose();
  });

  it('detects the type by magic bytes, not by the declared mimeType or the file name', async () => {
    const misnamed = join(inputs, 'really-a-webp.png');
    await writeFile(misnamed, WEBP);
    const staged = await stageImages([{ data: PNG_1x1, mimeType: 'image/jpeg' }, { path: misnamed }], { tmpDir: root });
    expect(staged.images.map((i) => i.mimeType)).toEqual(['image/png', 'image/webp']);
    expect(staged.images[1]!.path.endsWith('image-2.webp')).toBe(true);
    await staged.dispose();
  });

  it('accepts a data: URL', async () => {
    const staged = await stageImages([{ data: `data:image/png;base64,${PNG_1x1}` }], { tmpDir: root });
    expect(staged.images[0]!.mimeType).toBe('image/png');
    await staged.dispose();
  });

  it('dispose removes the folder and is idempotent', async () => {
    const staged = await stageImages([{ data: PNG_1x1 }], { tmpDir: root });
    await staged.dispose();
    await staged.dispose();
    expect(await readdir(root)).toEqual([]);
  });

  it('an abort removes what was staged and rejects with reason aborted', async () => {
    const error = await stageImages([{ data: PNG_1x1 }], { tmpDir: root, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((error as AttemptError).reason).toBe('aborted');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('detectImageType', () => {
  it('knows png, jpeg, gif (87a/89a) and webp', () => {
    expect(detectImageType(Buffer.from(PNG_1x1, 'base64'))?.mimeType).toBe('image/png');
    expect(detectImageType(JPEG)?.mimeType).toBe('image/jpeg');
    expect(detectImageType(GIF87)?.mimeType).toBe('image/gif');
    expect(detectImageType(GIF89)?.mimeType).toBe('image/gif');
    expect(detectImageType(WEBP)?.mimeType).toBe('image/webp');
  });
  it('returns undefined for anything else', () => {
    expect(detectImageType(Buffer.from('%PDF-1.7'))).toBeUndefined();
    expect(detectImageType(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeUndefined();
    expect(detectImageType(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('invalid images name the image and what to do', () => {
  it('a missing file', async () => {
    const missing = join(inputs, 'nope.png');
    expect((await invalid([{ path: missing }])).message).toMatch(new RegExp(`^--image ${missing}: cannot read the file \\(ENOENT\\)`));
  });
  it('a directory', async () => {
    const dir = join(inputs, 'folder');
    await mkdir(dir);
    expect((await invalid([{ path: dir }])).message).toBe(`--image ${dir} is a directory: pass an image file (PNG, JPEG, GIF or WebP)`);
  });
  it('an empty file', async () => {
    const empty = join(inputs, 'empty.png');
    await writeFile(empty, '');
    expect((await invalid([{ path: empty }])).message).toContain(`--image ${empty} is empty`);
  });
  it('an oversize file', async () => {
    const big = join(inputs, 'big.png');
    await writeFile(big, Buffer.concat([Buffer.from(PNG_1x1, 'base64'), Buffer.alloc(100)]));
    expect((await invalid([{ path: big }], { maxBytes: 50 })).message).toContain('more than the 50-byte limit: resize or compress it');
  });
  it('oversize base64', async () => {
    expect((await invalid([{ data: PNG_1x1 }], { maxBytes: 20 })).message).toMatch(/^images\[0\] \(base64\) is .*20-byte limit/);
  });
  it('bad base64', async () => {
    expect((await invalid([{ data: PNG_1x1 }, { data: 'not base64!!' }])).message).toMatch(/^images\[1\] \(base64\) is not valid base64/);
  });
  it('empty base64', async () => {
    expect((await invalid([{ data: '' }])).message).toMatch(/^images\[0\] \(base64\) is empty/);
  });
  it('an unknown type', async () => {
    const text = join(inputs, 'notes.png');
    await writeFile(text, 'just text');
    expect((await invalid([{ path: text }])).message).toBe(
      `--image ${text} is not a PNG, JPEG, GIF or WebP image (unknown file signature): convert it to one of those formats`,
    );
  });
  it('a failure midway removes the images already staged', async () => {
    await invalid([{ data: PNG_1x1 }, { data: PNG_1x1 }, { data: Buffer.from('text').toString('base64') }]);
  });
});
