/**
 * "Is this path mine and private?" — asked before any per-user folder, socket or file is used.
 *
 * A folder passes when it is a real directory (lstat: not a symlink), owned by `uid`, with none of
 * the `forbidden` mode bits (the agent's folder: no group/other bits at all; other folders: not
 * group/other-writable, though group-writable is fine for a group that is the user's alone),
 * inside a parent that others cannot rename it out of (owned by `uid` or root, and sticky when
 * others can write it, as /tmp is). Such a folder's entries can be added,
 * removed or swapped only by `uid` or root, so checking it and then using a path inside it is not
 * a race another user can win. Nothing here follows a symlink at the checked path itself.
 */

import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { EidfError, errnoCode, type ErrorCode } from '../core/errors.ts';

export interface PathRule {
  uid: number;
  /** Mode bits that must be clear; default GROUP_OTHER_WRITE. */
  forbidden?: number;
  /** The error code to throw (default AGENT_UNSAFE). */
  code?: ErrorCode;
  /** What else the user can do, appended to the message (e.g. "or set XDG_RUNTIME_DIR …"). */
  otherwise?: string;
}

export const GROUP_OTHER_WRITE = 0o022;
export const GROUP_OTHER_ANY = 0o077;

/** Checks a folder; false when it does not exist. Throws the rule's code (one line) when it exists but is not safe. */
export function checkPrivateDir(path: string, rule: PathRule): boolean {
  const stats = lstatOrUndefined(path);
  if (!stats) return false;
  const forbidden = rule.forbidden ?? GROUP_OTHER_WRITE;
  let problem: string | undefined;
  if (stats.isSymbolicLink()) problem = `it is a symlink owned by ${owner(stats.uid)}`;
  else if (!stats.isDirectory()) problem = `it is not a directory (owner ${owner(stats.uid)})`;
  else if (stats.uid !== rule.uid) problem = `it is owned by ${owner(stats.uid)}, not by you (uid ${rule.uid})`;
  else if (!modeAllowed(stats, forbidden, rule.uid))
    problem = `it is open to group or others (mode ${octal(stats.mode)})`;
  if (problem) {
    const fixable =
      !stats.isSymbolicLink() && stats.isDirectory() && stats.uid === rule.uid && forbidden === GROUP_OTHER_WRITE;
    throw fixable
      ? unsafeWith(path, problem, `run: chmod go-w ${path}`, rule)
      : unsafe(path, problem, stats.uid === rule.uid, rule);
  }
  checkParent(path, rule);
  return true;
}

/**
 * Makes sure `path` is a private folder: creates it (and missing parents) 0700 whatever the
 * umask, then checks it as checkPrivateDir does. Refuses, never repairs, a folder that is not
 * safe: entries someone else could have put there are not made safe by a chmod.
 */
export function ensurePrivateDir(path: string, rule: PathRule): void {
  if (checkPrivateDir(path, rule)) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  checkParent(path, rule); // nothing is made in a folder someone else controls
  try {
    mkdirSync(path, { mode: 0o700 });
    chmodSync(path, 0o700); // the umask may have taken bits away (a umask of 0700 leaves 000)
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err; // made meanwhile: checked below like any other
  }
  if (!checkPrivateDir(path, rule)) throw unsafe(path, 'it vanished while being created', false, rule);
}

/**
 * Checks the agent's socket before a client sends a byte: its folder must pass checkPrivateDir
 * (no group/other bits) and the socket, when present, must be a socket owned by `uid`. False when
 * the folder or the socket does not exist (no agent yet); throws AGENT_UNSAFE otherwise.
 */
export function checkAgentSocket(socketPath: string, uid: number): boolean {
  const rule: PathRule = { uid, forbidden: GROUP_OTHER_ANY, otherwise: RUNTIME_HINT };
  if (!checkPrivateDir(dirname(socketPath), rule)) return false;
  const stats = lstatOrUndefined(socketPath);
  if (!stats) return false;
  if (!stats.isSocket()) throw unsafe(socketPath, `it is not a socket (owner ${owner(stats.uid)})`, true, rule);
  // In a folder of ours, removing it is ours to do.
  if (stats.uid !== uid)
    throw unsafe(socketPath, `it is owned by ${owner(stats.uid)}, not by you (uid ${uid})`, true, rule);
  return true;
}

export const RUNTIME_HINT = 'or set XDG_RUNTIME_DIR (or EIDF_HOME) to a private folder of yours';

/** The parent must not let others rename the checked entry away and put their own in its place. */
function checkParent(path: string, rule: PathRule): void {
  const parent = dirname(path);
  if (parent === path) return;
  const stats = statSync(parent);
  const writableByOthers = !modeAllowed(stats, GROUP_OTHER_WRITE, rule.uid) && (stats.mode & 0o1000) === 0;
  if ((stats.uid !== rule.uid && stats.uid !== 0) || writableByOthers) {
    const why = writableByOthers ? `mode ${octal(stats.mode)} without the sticky bit` : `owned by ${owner(stats.uid)}`;
    const fix =
      writableByOthers && stats.uid === rule.uid
        ? `run: chmod go-w ${parent}`
        : (rule.otherwise ?? 'use a folder of your own');
    throw new EidfError(
      rule.code ?? 'AGENT_UNSAFE',
      `refusing to use ${path}: its folder ${parent} lets others replace it (${why}); ${fix}`,
    );
  }
}

/**
 * True when none of `forbidden` is set, except group-write on a group that is the user's alone (the
 * user-private-group convention: RHEL and Fedora give such users umask 002, so their folders are 0775).
 */
function modeAllowed(stats: Stats, forbidden: number, uid: number): boolean {
  const bad = stats.mode & forbidden;
  if (bad === 0) return true;
  return forbidden === GROUP_OTHER_WRITE && bad === 0o020 && groupIsPrivate(stats.gid, uid);
}

/** The group is named like the user, per /etc/group and /etc/passwd, and lists no member (read only when g+w is seen). */
function groupIsPrivate(gid: number, uid: number): boolean {
  try {
    const group = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[2] === String(gid));
    return group !== undefined && (group[3] ?? '') === '' && group[0] === userName(uid);
  } catch {
    return false;
  }
}

function unsafe(path: string, problem: string, yours: boolean, rule: PathRule): EidfError {
  return unsafeWith(
    path,
    problem,
    yours ? `remove it (rm -r ${path})` : 'have an administrator remove it (it is not yours)',
    rule,
  );
}

function unsafeWith(path: string, problem: string, action: string, rule: PathRule): EidfError {
  return new EidfError(
    rule.code ?? 'AGENT_UNSAFE',
    `refusing to use ${path}: ${problem}; ${action}${rule.otherwise ? `, ${rule.otherwise}` : ''}`,
  );
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** "uid 1001 (name)": the name from /etc/passwd when it has one (error path only). */
function owner(uid: number): string {
  const name = userName(uid);
  return name ? `uid ${uid} (${name})` : `uid ${uid}`;
}

function userName(uid: number): string | undefined {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(uid))?.[0];
  } catch {
    return undefined;
  }
}
