import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { EidfError } from '../../core/errors.ts';
import type { Clock, Logger, RegistryCredential, StoreKind } from '../../core/ports.ts';
import type { RegistryCredentials } from '../../credentials/registry-credentials.ts';
import {
  httpStatusOf,
  parseCallerIdentity,
  VERSION_HEADER,
  type AgentHealth,
  type AgentStatusAnswer,
  type ShutdownAnswer,
  type WireError,
} from '../api.ts';
import { endpoints } from './handle.ts';

export interface AgentDeps {
  version: string;
  pid: number;
  clock: Clock;
  logger: Logger;
  credentials: RegistryCredentials;
  /** Answers `get` (keeper first for the configured registry); defaults to the stored credentials. */
  resolveCredential?(registry: string): Promise<RegistryCredential>;
  /** Answers `store`, `erase` and `list` (the configured registry's rules: credentials/client-verbs.ts); default: the stored credentials. */
  storeCredential?(registry: string, credential: RegistryCredential): Promise<void>;
  eraseCredential?(registry: string): Promise<void>;
  listCredentials?(): Promise<Record<string, string>>;
  /** Extra status sections (session, registry secret) for GET /v1/status. */
  statusDetails?(): Promise<Omit<AgentStatusAnswer, 'agent'>>;
  /** Awaited (bounded) before answering /v1/status, so a just-started agent reports its restored session. */
  settled?(): Promise<void>;
  /** Routers mounted under /v1/<name>. */
  routers?: Record<string, Router>;
  store: { kind: StoreKind; reason: string; path?: string };
  /** Fingerprint of the settings this agent runs with (agent/settings.ts); a command sending another one restarts it. */
  settings?: string;
  /** The settings for people (proxy passwords left out), in the health answer for `doctor`. */
  settingsShown?: Record<string, string>;
  /** Set when a service manager runs the agent. */
  service?: 'systemd';
  /** Why this agent must not restart for a command with other settings, with what to run instead (undefined: restart). */
  keepRunning?(): Promise<string | undefined>;
  /** Why this agent must not restart for a helper of `callerVersion`, with what to run instead (undefined: restart). */
  keepRunningForVersion?(callerVersion: string): string | undefined;
  /** Asked to stop the agent (after the answer is sent). */
  requestShutdown(reason: string): void;
  /** Awaited before answering POST /v1/shutdown; its fields join the answer (the last save of the session). */
  beforeShutdown?(): Promise<Pick<ShutdownAnswer, 'refreshTokenSave'>>;
  /** Called on every request, so the lifecycle can measure idleness. */
  onActivity?(): void;
}

/**
 * The agent's HTTP handler, separate from listen() so tests drive it with supertest.
 * Every body is JSON; errors are `{error, error_description}` with the EidfError code.
 */
export function createAgentApp(deps: AgentDeps): express.Express {
  const startedAt = deps.clock.now();
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => {
    deps.onActivity?.();
    const header = req.get(VERSION_HEADER);
    if (header === undefined || req.path === '/v1/health') return next();
    const caller = parseCallerIdentity(header);
    // Read the body first: closing a connection with unread bytes resets it, and the helper
    // would see ECONNRESET instead of the answer.
    const answerAfterBody = (answer: () => void) => {
      req.resume();
      req.once('end', answer);
    };
    if (caller.version !== deps.version) {
      const callerVersion = caller.version;
      const keep = deps.keepRunningForVersion?.(callerVersion);
      return answerAfterBody(() => {
        if (keep !== undefined) return sendError(res, 409, { error: 'AGENT_VERSION_DIFFERS', error_description: keep });
        // `pid` and `service` tell the helper which agent to wait for: a service comes back by itself (agent-client.ts).
        sendError(res, 409, {
          error: 'VERSION_MISMATCH',
          error_description: `agent ${deps.version} restarts for helper ${callerVersion}`,
          pid: deps.pid,
          ...(deps.service ? { service: deps.service } : {}),
        });
        res.on('finish', () => deps.requestShutdown(`helper version ${callerVersion}`));
      });
    }
    if (
      caller.settings === undefined ||
      deps.settings === undefined ||
      caller.settings === deps.settings ||
      req.path === '/v1/shutdown'
    )
      return next();
    void (async () => {
      const keep = await deps.keepRunning?.().catch(() => undefined);
      answerAfterBody(() => {
        if (keep !== undefined) return sendError(res, 409, { error: 'AGENT_SETTINGS_DIFFER', error_description: keep });
        // VERSION_MISMATCH is what the helper already answers by starting a new agent once this one has gone.
        sendError(res, 409, {
          error: 'VERSION_MISMATCH',
          error_description: 'the agent restarts: this command runs with other settings',
        });
        res.on('finish', () => deps.requestShutdown('a command runs with other settings'));
      });
    })();
  });
  app.use(express.json({ limit: '64kb', strict: true, type: () => true }));

  const on = endpoints(app, '');
  const health = (): AgentHealth => ({
    product: 'docker-credential-eidf',
    version: deps.version,
    pid: deps.pid,
    uptimeSeconds: Math.round((deps.clock.now() - startedAt) / 1000),
    store: deps.store,
    ...(deps.settingsShown ? { settings: deps.settingsShown } : {}),
    ...(deps.service ? { service: deps.service } : {}),
  });
  on('GET /v1/health', () => health());

  on('GET /v1/status', async () => {
    await deps.settled?.();
    const details = await deps.statusDetails?.();
    // Without the details (an agent app in tests) the answer has the agent part only.
    return { ...(details ?? ({} as Omit<AgentStatusAnswer, 'agent'>)), agent: health() };
  });

  on('POST /v1/credentials/get', async (input) => {
    const registry = requireString(input.registry, 'registry');
    if (deps.resolveCredential) return deps.resolveCredential(registry);
    const found = await deps.credentials.get(registry);
    if (!found) throw new EidfError('NOT_FOUND', 'credentials not found in native keychain');
    return found;
  });

  on('POST /v1/credentials/store', async (input) => {
    const registry = requireString(input.registry, 'registry');
    const Username = requireString(input.Username, 'Username');
    const Secret = typeof input.Secret === 'string' ? input.Secret : '';
    if (deps.storeCredential) await deps.storeCredential(registry, { Username, Secret });
    else {
      await deps.credentials.add(registry, { Username, Secret });
      deps.logger.info(`stored a credential for ${registry} (user ${Username})`);
    }
    return null;
  });

  on('POST /v1/credentials/erase', async (input) => {
    const registry = requireString(input.registry, 'registry');
    if (deps.eraseCredential) await deps.eraseCredential(registry);
    else {
      await deps.credentials.delete(registry);
      deps.logger.info(`erased the credential for ${registry}`);
    }
    return null;
  });

  on('GET /v1/credentials', () => (deps.listCredentials ? deps.listCredentials() : deps.credentials.list()));

  on('POST /v1/shutdown', async (_input, _req, res) => {
    const last = (await deps.beforeShutdown?.()) ?? { refreshTokenSave: null };
    res.status(202);
    res.on('finish', () => deps.requestShutdown('asked to stop'));
    return { stopping: true, ...last };
  });

  for (const [name, router] of Object.entries(deps.routers ?? {})) app.use(`/v1/${name}`, router);

  app.use((_req, res) => sendError(res, 404, { error: 'USAGE', error_description: 'no such agent endpoint' }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof EidfError) {
      return sendError(res, httpStatusOf(err.code), {
        error: err.code,
        error_description: err.message,
        ...(err.reason ? { reason: err.reason } : {}),
      });
    }
    const parseError = err as { type?: string; status?: number };
    if (parseError.type === 'entity.too.large')
      return sendError(res, 413, { error: 'BAD_INPUT', error_description: 'request body too large' });
    if (typeof parseError.status === 'number' && parseError.status < 500) {
      return sendError(res, 400, { error: 'BAD_INPUT', error_description: 'request body is not valid JSON' });
    }
    // Unknown failures are logged in the agent and masked on the wire (they may carry anything).
    deps.logger.warn(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    sendError(res, 500, { error: 'INTERNAL', error_description: 'internal error in the agent; see its log' });
  });
  return app;
}

function sendError(res: Response, status: number, body: WireError): void {
  res.status(status).json(body);
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw new EidfError('BAD_INPUT', `request needs a non-empty string "${field}"`);
  return value;
}
