/**
 * The one argument parser of the commands for people, driven by command-table.ts: it finds the
 * (sub)command, reads its flags (`--flag`, `--flag=value`, `--flag value`, `-f value`; `--` ends the flags;
 * a negative number is a value: `--days -1`), checks required flags, flags that need others and the
 * number of operands, and asks for help on `--help`/`-h` anywhere. Every mistake is one EidfError('USAGE')
 * line naming the flag or word and the help to read. Pure: reads only its arguments.
 */
import { editDistance } from '../core/edit-distance.ts';
import { EidfError } from '../core/errors.ts';
import { PRODUCT } from '../version.ts';
import { COMMAND_TABLE, findCommand, type CommandSpec, type FlagSpec } from './command-table.ts';

export type FlagValues = Record<string, string | boolean | undefined>;

export interface ParsedArgs {
  /** The command and subcommand names (`['robot', 'delete']`). */
  path: string[];
  values: FlagValues;
  positionals: string[];
}

export type ParseResult = ({ help: false } & ParsedArgs) | { help: true; path: string[] };

/** Parses `argv` (the command name first) against the table. */
export function parseCommandLine(argv: readonly string[]): ParseResult {
  const [name, ...rest] = argv;
  const command = pick(COMMAND_TABLE, name, []);
  const path = [command.name];
  let spec = command;
  let args = rest;
  if (spec.subcommands) {
    const [sub, ...more] = args;
    if (sub !== undefined && isHelp(sub)) return { help: true, path };
    spec = pick(spec.subcommands, sub, path);
    path.push(spec.name);
    args = more;
  }
  const ended = args.indexOf('--');
  if ((ended === -1 ? args : args.slice(0, ended)).some(isHelp)) return { help: true, path };
  return { help: false, path, ...parseFlags(spec, path, args) };
}

/** `unknown command 'logni'; did you mean login?` for a name that is in no table row. */
export function unknownCommand(name: string, parent: readonly string[] = []): EidfError {
  const level = parent.length === 0 ? COMMAND_TABLE : (findCommand(parent)?.subcommands ?? []);
  const nearest = nearestName(
    name,
    level.map((c) => c.name),
  );
  const what = parent.length === 0 ? 'command' : `${parent.join(' ')} command`;
  const hint = nearest ? `did you mean ${nearest}?` : `see: ${PRODUCT} ${[...parent, '--help'].join(' ')}`;
  return new EidfError('USAGE', `unknown ${what} ${JSON.stringify(name).replace(/"/g, "'")}; ${hint}`);
}

/** The closest of `names` to a mistyped `word`, when it is close enough to be what was meant. */
export function nearestName(word: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = name.startsWith(word) && word.length >= 3 ? 1 : editDistance(word, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  // Two edits (a swap: `logni`, `jsno`) only in words long enough that two edits leave half of them.
  return best && best.distance <= (word.length >= 4 ? 2 : 1) ? best.name : undefined;
}

/** A string flag's value, or undefined. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** `--days N`: -1 or a whole number ≥ 1 (checked again by the agent); undefined when absent. */
export function daysFlag(values: FlagValues): number | undefined {
  const raw = stringFlag(values, 'days');
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw))
    throw new EidfError('USAGE', `--days ${JSON.stringify(raw)} is not valid: give whole days ≥ 1, or -1 for never`);
  return Number(raw);
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

function pick(level: readonly CommandSpec[], name: string | undefined, parent: readonly string[]): CommandSpec {
  const found = level.find((c) => c.name === name);
  if (found) return found;
  if (name === undefined) {
    const names = level.map((c) => c.name);
    throw new EidfError(
      'USAGE',
      `${parent.join(' ')} needs a command: ${names.slice(0, -1).join(', ')} or ${names.at(-1)}; see: ${PRODUCT} ${parent.join(' ')} --help`,
    );
  }
  throw unknownCommand(name, parent);
}

function parseFlags(
  spec: CommandSpec,
  path: readonly string[],
  args: readonly string[],
): { values: FlagValues; positionals: string[] } {
  const flags = spec.flags ?? [];
  const where = path.join(' ');
  const seeHelp = `see: ${PRODUCT} ${where} --help`;
  const values: FlagValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d+$/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const [key, inline] = long ? splitOnce(arg.slice(2)) : [arg.slice(1), undefined];
    const flag = flags.find((f) => (long ? f.name === key : f.short === key));
    if (!flag) {
      const nearest = nearestName(
        key,
        flags.map((f) => f.name),
      );
      throw new EidfError(
        'USAGE',
        `unknown flag ${long ? `--${key}` : arg} for ${where}${nearest ? `; did you mean --${nearest}?` : ''}; ${seeHelp}`,
      );
    }
    const shown = long ? `--${flag.name}` : arg;
    if (flag.value === undefined) {
      if (inline !== undefined) throw new EidfError('USAGE', `${shown} takes no value; ${seeHelp}`);
      values[flag.name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('-') && !/^-\d+$/.test(next)))
        throw new EidfError('USAGE', `${shown} needs a value (${flag.value}); ${seeHelp}`);
      value = next;
      i++;
    }
    if (flag.choices && !flag.choices.includes(value))
      throw new EidfError(
        'USAGE',
        `${shown} ${JSON.stringify(value)} is not valid: use ${flag.choices.join(' or ')}; ${seeHelp}`,
      );
    values[flag.name] = value;
  }
  for (const flag of flags) {
    if (flag.required && values[flag.name] === undefined)
      throw new EidfError('USAGE', `${where} needs ${flagUsage(flag)}; ${seeHelp}`);
    if (values[flag.name] === undefined) continue;
    for (const needed of flag.needs ?? []) {
      const other = flags.find((f) => f.name === needed);
      if (other && values[needed] === undefined)
        throw new EidfError('USAGE', `--${flag.name} needs ${flagUsage(other)}; ${seeHelp}`);
    }
  }
  const [min, max] = spec.operandCount ?? [0, 0];
  if (positionals.length < min || positionals.length > max) {
    const wanted = max === 0 ? 'takes no operands' : `needs ${spec.operands ?? ''}`.trimEnd();
    const got = positionals.length > max ? ` (got ${JSON.stringify(positionals[max])})` : '';
    throw new EidfError('USAGE', `${where} ${wanted}${got}; ${seeHelp}`);
  }
  const allowed = Array.isArray(spec.completeOperand) ? spec.completeOperand : undefined;
  if (allowed && !allowed.includes(positionals[0]))
    throw new EidfError(
      'USAGE',
      `${where} takes ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)} (got ${JSON.stringify(positionals[0])})`,
    );
  return { values, positionals };
}

/** `--project P` or `--json`. */
export function flagUsage(flag: FlagSpec): string {
  return `--${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
}

function splitOnce(text: string): [string, string | undefined] {
  const at = text.indexOf('=');
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
