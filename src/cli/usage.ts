import { PROTOCOL_VERBS } from '../protocol/protocol.ts';
import { PRODUCT } from '../version.ts';

/** The commands for people (the protocol verbs are in protocol.ts). */
export const COMMANDS = [
  'login',
  'logout',
  'status',
  'doctor',
  'setup',
  'rotate-secret',
  'export-k8s',
  'robot',
  'config',
  'daemon',
] as const;
export type Command = (typeof COMMANDS)[number];

/** One line, printed on stdout with exit 1 for a wrong verb or extra arguments, as helpers do. */
export const USAGE_LINE = `Usage: ${PRODUCT} <${[...PROTOCOL_VERBS, ...COMMANDS].join('|')}>`;
