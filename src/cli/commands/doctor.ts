import type { Config } from '../../config.ts';
import { EidfError, oneLine } from '../../core/errors.ts';
import { check, judgeStore, type DoctorCheck, type DoctorReport } from '../../doctor/verdicts.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { pathCheck, thisProgram, wiringChecks } from '../../doctor/local-checks.ts';
import { judgeProxy, judgeSettings } from '../../doctor/settings-checks.ts';
import { agentSettings, describeSettings } from '../../agent/settings.ts';
import { EXIT } from '../exit-codes.ts';
import { paintFor, type Paint } from './report-format.ts';
import type { AgentHealth } from '../../agent/api.ts';

export type { DoctorCheck, DoctorReport } from '../../doctor/verdicts.ts';

/** Upper bounds: a health answer (a fresh agent takes longer: the client waits up to 10 s for it) and the agent's checks. */
const HEALTH_TIMEOUT_MS = 5_000;
const AGENT_CHECKS_TIMEOUT_MS = 30_000;

/**
 * `doctor [--json]`: checks each link of the chain and says, per check, ok / warn / fail with one
 * line of what to do. Local checks (configuration, PATH, auth files) run here; the agent (started if
 * needed, as every command does) reports its store and runs the network checks (`GET /v1/doctor`).
 * Changes nothing. People get a list on stdout (colour on a terminal only, never with NO_COLOR);
 * `--json` writes `{checks: DoctorCheck[]}` on stdout.
 * Exit 0 when nothing failed, 1 otherwise.
 *
 * `loadConfig` is called here, not before: a bad setting is the first check's fail, not an abort.
 */
export async function doctorCommand(args: ParsedArgs, deps: CliDeps, loadConfig: () => Config): Promise<number> {
  const json = args.values.json === true;
  const checks: DoctorCheck[] = [];
  let config: Config | undefined;
  try {
    config = loadConfig();
    const file =
      deps.readText(config.paths.configFile) === undefined
        ? 'no config file'
        : `config file ${config.paths.configFile}`;
    checks.push(check('config', 'ok', `registry ${config.registryUrl}, store ${config.store}, ${file}`));
  } catch (err) {
    checks.push(
      check(
        'config',
        'fail',
        oneLine(err),
        'fix that setting (in the environment or the config file); the other checks need it',
      ),
    );
  }
  checks.push(await guarded('path', () => pathCheck(deps.env, deps.platform, thisProgram(deps.agentCommand))));
  if (config) {
    const host = config.registry;
    checks.push(...(await guardedAll('docker-config', () => wiringChecks(deps.env, deps.cwd, host))));
    checks.push(...(await guardedAll('agent', () => agentChecks(deps, config))));
  }
  if (json) deps.stdout.write(`${JSON.stringify({ checks } satisfies DoctorReport, null, 2)}\n`);
  else deps.stdout.write(formatChecks(checks, paintFor(deps.stdout, deps.env)));
  return checks.some((c) => c.status === 'fail') ? EXIT.error : EXIT.ok;
}

/** The agent (health, version), its store, then its own checks; a mismatched agent is replaced by the client. */
async function agentChecks(deps: CliDeps, config: Config): Promise<DoctorCheck[]> {
  const agent = connectAgent(config, deps);
  const health = () => agent.call('GET /v1/health', undefined, { timeoutMs: HEALTH_TIMEOUT_MS });
  let first: AgentHealth;
  try {
    first = await health();
  } catch (err) {
    return [
      check(
        'agent',
        'fail',
        `no agent answers: ${oneLine(err)}`,
        `see ${config.paths.logFile}, or run it in the foreground: docker-credential-eidf daemon run`,
      ),
    ];
  }
  let remote: DoctorCheck[];
  try {
    // A request other than health from a helper of another version makes the old agent stop; the client then starts ours.
    remote = (await agent.call('GET /v1/doctor', undefined, { timeoutMs: AGENT_CHECKS_TIMEOUT_MS })).checks;
  } catch (err) {
    remote =
      err instanceof EidfError && err.code === 'AGENT_SETTINGS_DIFFER'
        ? [
            check(
              'agent-checks',
              'fail',
              'not run: the agent runs with other settings than this command (see settings)',
              null,
            ),
          ]
        : [
            check(
              'agent-checks',
              'fail',
              `the agent could not run its checks: ${oneLine(err)}`,
              'run: docker-credential-eidf daemon stop, then doctor again',
            ),
          ];
  }
  // The agent may have been replaced meanwhile (another version, or other settings): ask again.
  const current = await health().catch(() => first);
  const replaced =
    first.version !== current.version
      ? `; it replaced an agent of version ${first.version}`
      : first.pid !== current.pid
        ? `; it replaced an agent (pid ${first.pid}) started with other settings`
        : '';
  const agentCheck =
    current.version === deps.version
      ? check(
          'agent',
          'ok',
          `agent ${current.version} (pid ${current.pid}) answers on ${config.paths.socket}${replaced}`,
        )
      : check(
          'agent',
          'fail',
          `agent ${current.version} answers, but this helper is ${deps.version}`,
          'run: docker-credential-eidf daemon stop (the next command starts the right one)',
        );
  const mine = describeSettings(agentSettings(config, deps.env));
  const extra = [
    judgeSettings(mine, current.settings, current.service ?? null),
    judgeProxy(config, current.settings),
  ].filter((c) => c !== undefined);
  return [agentCheck, judgeStore(current.store), ...extra, ...remote];
}

/** The people's form: `ok   name  message`, and `to do: action` under each check that has one. */
export function formatChecks(checks: readonly DoctorCheck[], paint?: Paint): string {
  const colour = { ok: paint?.ok, warn: paint?.warn, fail: paint?.bad };
  const width = Math.max(...checks.map((c) => c.name.length));
  const indent = ' '.repeat(5 + width + 2);
  const lines = checks.flatMap((c) => [
    `${(colour[c.status] ?? String)(c.status.padEnd(4))} ${c.name.padEnd(width)}  ${c.message}`,
    ...(c.action && c.status !== 'ok' ? [`${indent}to do: ${c.action}`] : []),
  ]);
  const fails = checks.filter((c) => c.status === 'fail').length;
  const warns = checks.filter((c) => c.status === 'warn').length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const counts = [fails > 0 ? plural(fails, 'failure') : '', warns > 0 ? plural(warns, 'warning') : ''].filter(
    (part) => part !== '',
  );
  lines.push(counts.length === 0 ? 'all checks passed' : counts.join(', '));
  return lines.map((line) => `${line}\n`).join('');
}

/** A check that throws (it should not) still gives a line, and the others still run. */
async function guarded(name: string, run: () => Promise<DoctorCheck>): Promise<DoctorCheck> {
  return (await guardedAll(name, async () => [await run()]))[0];
}

async function guardedAll(name: string, run: () => Promise<DoctorCheck[]>): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (err) {
    return [check(name, 'fail', `could not check: ${oneLine(err)}`, null)];
  }
}
