import {
  findSetting,
  loadConfig,
  resolvePaths,
  SETTINGS,
  suggestKey,
  unknownKeyProblem,
  type Env,
  type Setting,
} from '../../config.ts';
import { EidfError, oneLine } from '../../core/errors.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import {
  cloneJson,
  formatJson,
  ioError,
  readJsonObjectFile,
  type JsonObject,
  type JsonObjectFile,
} from '../../setup/json-file.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/** Where a setting's value comes from, in loadConfig's order. */
export type SettingSource = 'environment' | 'config file' | 'default' | 'unset';

/** One line of `config list --json` and the answer of `config get --json` (fields are only ever added). */
export interface SettingReport {
  key: string;
  variable: string;
  /** The value in effect for commands run with this environment; null when unset. */
  value: string | null;
  source: SettingSource;
  /** What config.json holds (as a string), or null. */
  fileValue: string | null;
}

/** `config list --json` (fields are only ever added). */
export interface ConfigReport {
  file: string;
  settings: SettingReport[];
  unknownKeys: { key: string; problem: string }[];
  /** Why the settings in effect are invalid (one line), or null. */
  problem: string | null;
}

/**
 * `config list|get|set|unset`: the settings of config.json (the file a systemd service reads, and
 * the one place for settings that should not depend on a shell). `set` and `unset` validate the
 * resulting file with the same one-line messages as the environment, keep every other key (unknown
 * ones too), and change nothing on error. Works even when the file is invalid, so it can fix it.
 * Reports go to stdout; notes about the environment to stderr.
 */
export async function configCommand(args: ParsedArgs, deps: CliDeps): Promise<number> {
  const json = args.values.json === true;
  const operands = args.positionals;
  const path = resolvePaths(deps.env, deps.uid).configFile;
  switch (args.path[1]) {
    case 'list':
      return list(deps, path, json);
    case 'get':
      return get(deps, path, settingNamed(operands[0]), json);
    case 'set':
      return set(deps, path, settingNamed(operands[0]), operands[1]);
    default:
      return unset(deps, path, operands[0]);
  }
}

function settingNamed(name: string): Setting {
  const setting = findSetting(name);
  if (setting) return setting;
  const suggestion = suggestKey(name);
  throw new EidfError(
    'USAGE',
    `unknown setting ${JSON.stringify(name)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}; docker-credential-eidf config list shows them all`,
  );
}

async function list(deps: CliDeps, path: string, json: boolean): Promise<number> {
  const file = await readJsonObjectFile(path);
  const known = new Set(SETTINGS.map((s) => s.key));
  const report: ConfigReport = {
    file: path,
    settings: SETTINGS.map((setting) => describe(setting, deps.env, file.value)),
    unknownKeys: Object.keys(file.value)
      .filter((key) => !known.has(key))
      .map((key) => ({ key, problem: unknownKeyProblem(key) })),
    // Unknown keys have their own lines: this is about the values.
    problem: problemOf(() => loadConfig(deps.env, deps.uid, deps.readText, { unknownKeys: 'ignore' })),
  };
  if (json) {
    deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...SETTINGS.map((s) => s.key.length));
  const lines = [`config file: ${path}${file.original === null ? ' (does not exist)' : ''}`];
  for (const s of report.settings) {
    const origin =
      s.source === 'environment'
        ? `${s.variable} in the environment${s.fileValue !== null ? ` (config file: ${s.fileValue})` : ''}`
        : s.source;
    lines.push(`${s.key.padEnd(width)}  ${(s.value ?? '-').padEnd(36)}  ${origin}`);
  }
  for (const u of report.unknownKeys)
    lines.push(`config file: ${u.problem}; remove it with: docker-credential-eidf config unset ${u.key}`);
  if (report.problem) lines.push(report.problem);
  deps.stdout.write(lines.map((line) => `${line}\n`).join(''));
  return EXIT.ok;
}

async function get(deps: CliDeps, path: string, setting: Setting, json: boolean): Promise<number> {
  const report = describe(setting, deps.env, (await readJsonObjectFile(path)).value);
  if (json) {
    deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  if (report.value === null) {
    deps.stderr.write(`${setting.key} is not set (${setting.variable} or config.json)\n`);
    return EXIT.error;
  }
  deps.stdout.write(`${report.value}\n`);
  if (report.source === 'environment' && report.fileValue !== null)
    deps.stderr.write(`(from ${setting.variable} in the environment; the config file has ${report.fileValue})\n`);
  return EXIT.ok;
}

async function set(deps: CliDeps, path: string, setting: Setting, text: string): Promise<number> {
  if (text === '')
    throw new EidfError(
      'USAGE',
      `an empty value: to remove ${setting.key} run docker-credential-eidf config unset ${setting.key}`,
    );
  const file = await readJsonObjectFile(path);
  const next = cloneJson(file.value);
  next[setting.key] = asJson(setting, text);
  await save(deps, file, next);
  deps.stdout.write(`set ${setting.key} = ${text} in ${path}\n`);
  afterChange(deps, setting);
  return EXIT.ok;
}

async function unset(deps: CliDeps, path: string, name: string): Promise<number> {
  const file = await readJsonObjectFile(path);
  // An unknown key can be removed by its exact name: that is how a mistyped one is fixed.
  const exact = Object.hasOwn(file.value, name) ? name : undefined;
  const setting = exact === undefined ? settingNamed(name) : SETTINGS.find((s) => s.key === exact);
  const key = exact ?? setting!.key;
  if (!Object.hasOwn(file.value, key)) {
    deps.stdout.write(`${key} is not in ${path}; nothing was changed\n`);
    return EXIT.ok;
  }
  const next = cloneJson(file.value);
  delete next[key];
  await save(deps, file, next);
  deps.stdout.write(`removed ${key} from ${path}\n`);
  if (setting) afterChange(deps, setting);
  return EXIT.ok;
}

/** Validates the file's settings as loadConfig would (the environment's ones left out), then replaces the file. */
async function save(deps: CliDeps, file: JsonObjectFile, next: JsonObject): Promise<void> {
  const content = formatJson(next, file.original === null ? { indent: '  ', trailingNewline: true } : file.style);
  loadConfig(withoutSettings(deps.env), deps.uid, () => content, { unknownKeys: 'ignore' });
  try {
    await writeFileAtomic(file.target, content, file.mode, { createFolders: true });
  } catch (err) {
    throw ioError('write', file.path, err);
  }
}

/** What a person needs to know once the file changed: the environment may override it; agents pick it up. */
function afterChange(deps: CliDeps, setting: Setting): void {
  const fromEnv = deps.env[setting.variable];
  if (fromEnv !== undefined && fromEnv !== '')
    deps.stderr.write(
      `note: ${setting.variable} is set in this environment and overrides the file for commands run here\n`,
    );
  if (setting.key === 'loginOnGet') return;
  deps.stderr.write(
    'the agent restarts with it at the next docker-credential-eidf command; a systemd service needs: systemctl --user restart docker-credential-eidf\n',
  );
}

function describe(setting: Setting, env: Env, file: JsonObject): SettingReport {
  const raw = file[setting.key];
  const fileValue = raw === undefined || raw === null ? null : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const fromEnv = env[setting.variable];
  if (fromEnv !== undefined && fromEnv !== '')
    return { key: setting.key, variable: setting.variable, value: fromEnv, source: 'environment', fileValue };
  if (fileValue !== null)
    return { key: setting.key, variable: setting.variable, value: fileValue, source: 'config file', fileValue };
  return {
    key: setting.key,
    variable: setting.variable,
    value: setting.default ?? null,
    source: setting.default === undefined ? 'unset' : 'default',
    fileValue,
  };
}

/** The JSON value to store: numbers and booleans as such when they read as one, else the text (which validation then names). */
function asJson(setting: Setting, text: string): string | number | boolean {
  if (setting.type === 'number' && /^\d+$/.test(text)) return Number(text);
  if (setting.type === 'boolean' && ['1', 'true', 'yes'].includes(text)) return true;
  if (setting.type === 'boolean' && ['0', 'false', 'no'].includes(text)) return false;
  return text;
}

function withoutSettings(env: Env): Env {
  const names = new Set(SETTINGS.map((s) => s.variable));
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.has(name)));
}

function problemOf(load: () => unknown): string | null {
  try {
    load();
    return null;
  } catch (err) {
    if (err instanceof EidfError) return oneLine(err);
    throw err;
  }
}
