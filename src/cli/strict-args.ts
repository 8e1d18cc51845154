import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { EidfError, oneLine } from '../core/errors.ts';

export interface StrictArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * `node:util` parseArgs in strict mode, with its errors turned into one-line EidfError('USAGE') ending in
 * `usage`. A negative number after a string option (`--days -1`) is taken as that option's value, which
 * parseArgs alone refuses as ambiguous. Pure: reads only `args`.
 */
export function parseStrict(
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  usage: string,
  allowPositionals = false,
): StrictArgs {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = args[i + 1];
    const option = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  try {
    const parsed = parseArgs({ args: joined, options, strict: true, allowPositionals });
    return { values: parsed.values as StrictArgs['values'], positionals: parsed.positionals };
  } catch (err) {
    const first = oneLine(err);
    throw new EidfError('USAGE', `${first.replace(/\.$/, '')}; ${usage}`);
  }
}

/** A string flag's value, or undefined. */
export function stringFlag(values: StrictArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** `--days N`: -1 or a whole number ≥ 1 (checked again by the agent); undefined when absent. */
export function daysFlag(values: StrictArgs['values']): number | undefined {
  const raw = stringFlag(values, 'days');
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw))
    throw new EidfError('USAGE', `--days ${JSON.stringify(raw)} is not valid: give whole days ≥ 1, or -1 for never`);
  return Number(raw);
}
