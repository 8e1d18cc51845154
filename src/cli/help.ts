/**
 * The help texts, rendered from command-table.ts: `help` (every command), and one command's or
 * subcommand's help (usage line, what it does, each flag with its meaning and an example). Pure.
 */
import { PRODUCT } from '../version.ts';
import { flagUsage } from './args.ts';
import { COMMAND_TABLE, PROTOCOL_VERB_HELP, type CommandSpec, type FlagSpec } from './command-table.ts';

/** The help of the whole CLI: every command and subcommand with one line each. */
export function generalHelp(): string {
  const rows: [string, string][] = [];
  for (const command of COMMAND_TABLE) {
    if (command.subcommands) {
      rows.push([command.name, command.summary]);
      for (const sub of command.subcommands)
        rows.push([`  ${sub.name}${sub.operands ? ` ${sub.operands}` : ''}`, sub.summary]);
    } else {
      rows.push([`${command.name}${command.operands ? ` ${command.operands}` : ''}`, command.summary]);
    }
  }
  return [
    `Usage: ${PRODUCT} COMMAND [SUBCOMMAND] [FLAGS]`,
    '',
    'Docker credential helper for Harbor registries with OIDC login (EIDF).',
    '',
    'Commands:',
    ...columns(rows),
    '',
    'Credential-helper verbs (docker, podman, buildah and skopeo run these through credHelpers):',
    ...columns(PROTOCOL_VERB_HELP.map(([verb, meaning]) => [verb, meaning])),
    '',
    `Reports go to stdout; errors, warnings and prompts to stderr. '${PRODUCT} COMMAND --help' shows a`,
    "command's flags. Settings: environment, else config.json (see 'config list' and README.md).",
    '',
  ].join('\n');
}

/** The help of one command or subcommand (`path` = ['robot', 'delete']). */
export function commandHelp(spec: CommandSpec, path: readonly string[]): string {
  const name = `${PRODUCT} ${path.join(' ')}`;
  const lines: string[] = [];
  if (spec.subcommands) {
    lines.push(`Usage: ${name} ${spec.subcommands.map((s) => s.name).join('|')} [FLAGS]`, '', spec.summary, '');
    lines.push('Commands:', ...columns(spec.subcommands.map((s) => [usageOf(s, s.name), s.summary])), '');
    lines.push(`'${name} COMMAND --help' shows a command's flags.`, '');
    return lines.join('\n');
  }
  lines.push(`Usage: ${usageOf(spec, name)}`, '', spec.summary, ...(spec.details ?? []), '');
  const flags = spec.flags ?? [];
  if (flags.length > 0) {
    lines.push('Flags:');
    const width = Math.max(...flags.map((f) => flagLabel(f).length));
    for (const flag of flags) {
      const notes = [
        flag.required ? 'required' : '',
        flag.needs ? `needs ${flag.needs.map((n) => `--${n}`).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      lines.push(`  ${flagLabel(flag).padEnd(width)}  ${flag.meaning}${notes ? ` (${notes})` : ''}`);
      lines.push(`  ${''.padEnd(width)}  e.g. ${PRODUCT} ${flag.example}`);
    }
    lines.push('');
  }
  if (spec.examples?.length) lines.push('Examples:', ...spec.examples.map((e) => `  ${PRODUCT} ${e}`), '');
  return lines.join('\n');
}

/** The help of a credential-helper verb (`get`), or undefined for another word. */
export function protocolVerbHelp(verb: string): string | undefined {
  const meaning = PROTOCOL_VERB_HELP.find(([name]) => name === verb)?.[1];
  if (meaning === undefined) return undefined;
  return [
    `Usage: ${PRODUCT} ${verb}`,
    '',
    meaning,
    'A credential-helper verb: docker, podman, buildah and skopeo run it (credHelpers); it takes no flags.',
    '',
  ].join('\n');
}

/** `HEAD NAME --project P [--json]`: the operands and flags after `head`. */
function usageOf(spec: CommandSpec, head: string): string {
  const parts = [head];
  if (spec.operands) parts.push(spec.operands);
  for (const flag of spec.flags ?? []) parts.push(flag.required ? flagUsage(flag) : `[${flagUsage(flag)}]`);
  return parts.join(' ');
}

function flagLabel(flag: FlagSpec): string {
  return `${flag.short ? `-${flag.short}, ` : ''}${flagUsage(flag)}`;
}

function columns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
