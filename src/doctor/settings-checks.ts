import type { Config } from '../config.ts';
import { proxyFor, type AgentSettings } from '../agent/settings.ts';
import { check, type DoctorCheck } from './verdicts.ts';

/**
 * The doctor's checks on what the agent runs with, from its health answer: its settings against
 * this command's (a running agent keeps the ones it started with), and the proxy it uses.
 */

/** `mine`, `theirs`: describeSettings() of this command and of the agent (older agents send none). */
export function judgeSettings(
  mine: AgentSettings,
  theirs: AgentSettings | undefined,
  service: string | null,
): DoctorCheck | undefined {
  if (theirs === undefined) return undefined;
  const names = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])];
  const differ = names.filter((name) => (mine[name] ?? '') !== (theirs[name] ?? ''));
  if (differ.length === 0)
    return check(
      'settings',
      'ok',
      `the agent runs with this command's settings${service ? ` (a ${service} service)` : ''}`,
    );
  const shown = (value: string | undefined) => (value === undefined || value === '' ? 'unset' : value);
  const detail = differ.map((name) => `${name} (agent: ${shown(theirs[name])}, here: ${shown(mine[name])})`).join('; ');
  if (service === 'systemd') {
    return check(
      'settings',
      'fail',
      `the agent (a systemd service) runs with other settings: ${detail}`,
      'the service reads config.json, not this shell: docker-credential-eidf config set NAME VALUE (proxy variables: Environment= lines through systemctl --user edit docker-credential-eidf), or unset them here; then run: systemctl --user restart docker-credential-eidf',
    );
  }
  return check(
    'settings',
    'warn',
    `the agent runs with other settings: ${detail}`,
    'run: docker-credential-eidf daemon stop (the next command starts one with these settings)',
  );
}

/** Which proxy the agent uses for Harbor and the IdP. */
export function judgeProxy(config: Config, settings: AgentSettings | undefined): DoctorCheck | undefined {
  if (settings === undefined) return undefined;
  const targets: [string, string][] = [['Harbor', config.registryUrl]];
  if (config.oidcIssuer) targets.push(['IdP', config.oidcIssuer]);
  const routes = targets.map(([name, url]) => {
    const route = proxyFor(url, settings);
    const how =
      route === null ? 'direct' : route === 'NO_PROXY' ? 'direct (NO_PROXY)' : `via ${route.proxy} (${route.variable})`;
    return `${name} ${new URL(url).host} ${how}`;
  });
  const anyProxy = Object.keys(settings).some((name) => /^https?_proxy$/i.test(name));
  return check(
    'proxy',
    'ok',
    anyProxy ? routes.join('; ') : 'none set (HTTPS_PROXY, HTTP_PROXY): the agent connects directly',
  );
}
