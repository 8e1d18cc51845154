import { isProtocolVerb } from '../protocol/protocol.ts';
import { SEA_ASSETS } from '../platform/runtime.ts';
import { runProtocolEntry } from './protocol-entry.ts';

/**
 * The entry of what install.sh installs: the single executable's main script and
 * dist/docker-credential-eidf.cjs (scripts/build.ts, run by node through its own `#!` line). It
 * looks at argv before anything else: the credential-helper verbs, which docker runs on every
 * pull, run from this small bundle; every other command and the agent load the whole CLI
 * (src/cli/main.ts bundled: dist/cli.cjs beside this file, or the executable's `cli.cjs` asset).
 */
const argv = process.argv.slice(2);
if (argv[0] !== undefined && isProtocolVerb(argv[0])) runProtocolEntry(argv, import.meta.filename);
else loadFullCli();

function loadFullCli(): void {
  const sea = process.getBuiltinModule('node:sea');
  if (!sea.isSea()) {
    const { createRequire } = process.getBuiltinModule('node:module');
    createRequire(import.meta.filename)('./cli.cjs');
    return;
  }
  // A single executable's require serves builtins only, and the bundle needs nothing else.
  const requireBuiltin = (id: string): unknown => {
    const builtin = process.getBuiltinModule(id);
    if (builtin === undefined) throw new Error(`single executable: no builtin module ${id}`);
    return builtin;
  };
  const { compileFunction } = process.getBuiltinModule('node:vm');
  const params = ['require', 'module', 'exports', '__filename', '__dirname'];
  const body = compileFunction(sea.getAsset(SEA_ASSETS.cli, 'utf8'), params, { filename: SEA_ASSETS.cli }) as (
    ...args: unknown[]
  ) => void;
  const module = { exports: {} };
  body(
    requireBuiltin,
    module,
    module.exports,
    process.execPath,
    process.getBuiltinModule('node:path').dirname(process.execPath),
  );
}
