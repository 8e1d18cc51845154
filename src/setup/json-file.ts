import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EidfError, errnoCode } from '../core/errors.ts';

/** A parsed JSON object; key order is the file's order (JSON.parse keeps it). */
export type JsonObject = Record<string, unknown>;

/** How a file was laid out, so that a rewrite looks like the original. */
export interface JsonStyle {
  /** Indent unit; '' means the file was on one line. Docker and containers/image write a tab. */
  indent: string;
  trailingNewline: boolean;
}

/** Mode of a file this product creates: Docker writes config.json as 0600 too. */
export const NEW_FILE_MODE = 0o600;

export interface JsonObjectFile {
  /** The path as named (it may be a symlink). */
  path: string;
  /** The file that is read and replaced: `path` with every symlink followed. */
  target: string;
  /** The exact bytes read, or null when the file does not exist. */
  original: Buffer | null;
  /** Permission bits to keep on rewrite (NEW_FILE_MODE for a missing file). */
  mode: number;
  value: JsonObject;
  style: JsonStyle;
}

const DEFAULT_STYLE: JsonStyle = { indent: '\t', trailingNewline: true };
const MAX_SYMLINKS = 40;

/**
 * Reads `path` (following symlinks) as a JSON object. A missing or blank file reads as `{}`.
 * Throws CONFIG_INVALID naming the file when it cannot be read, is not JSON, or is not an object.
 * Error messages never quote the file's text: it may hold secrets.
 */
export async function readJsonObjectFile(path: string): Promise<JsonObjectFile> {
  const target = await followSymlinks(path);
  let original: Buffer;
  let mode: number;
  try {
    const info = await stat(target);
    if (!info.isFile()) throw new EidfError('CONFIG_INVALID', `${path} is not a regular file; nothing was changed`);
    mode = info.mode & 0o7777;
    original = await readFile(target);
  } catch (err) {
    if (err instanceof EidfError) throw err;
    if (errnoCode(err) === 'ENOENT')
      return { path, target, original: null, mode: NEW_FILE_MODE, value: {}, style: DEFAULT_STYLE };
    throw ioError('read', path, err);
  }
  const text = original.toString('utf8');
  if (text.trim() === '') return { path, target, original, mode, value: {}, style: DEFAULT_STYLE };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a secret: leave it out.
    throw new EidfError('CONFIG_INVALID', `${path} is not valid JSON; nothing was changed`);
  }
  if (!isJsonObject(value))
    throw new EidfError('CONFIG_INVALID', `${path} must hold a JSON object; nothing was changed`);
  return { path, target, original, mode, value, style: detectStyle(text) };
}

/** Serialises `value` in the given style. */
export function formatJson(value: unknown, style: JsonStyle): string {
  return JSON.stringify(value, null, style.indent) + (style.trailingNewline ? '\n' : '');
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value (key order kept). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The indent of the first indented line, or '' for a one-line file. */
export function detectStyle(text: string): JsonStyle {
  const trailingNewline = /\n$/.test(text);
  if (!text.trim().includes('\n')) return { indent: '', trailingNewline };
  const match = /\n([ \t]+)\S/.exec(text);
  return { indent: match ? match[1].slice(0, 10) : '\t', trailingNewline };
}

/** `path` with symlinks followed, even when the final target does not exist yet. */
export async function followSymlinks(path: string): Promise<string> {
  let current = path;
  for (let i = 0; i < MAX_SYMLINKS; i++) {
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return current;
      throw ioError('read', path, err);
    }
    if (!isLink) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw new EidfError('CONFIG_INVALID', `${path} is a loop of symlinks; nothing was changed`);
}

/** A one-line CONFIG_INVALID error for a failed read or write of `path`. */
export function ioError(verb: 'read' | 'write', path: string, err: unknown): EidfError {
  const code = errnoCode(err);
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a parent is not a folder',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    ELOOP: 'too many symlinks',
  };
  const reason = (code && reasons[code]) ?? code ?? 'unknown error';
  return new EidfError('CONFIG_INVALID', `cannot ${verb} ${path}: ${reason}`, { cause: err });
}
