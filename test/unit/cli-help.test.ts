import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCommandLine } from '../../src/cli/args.ts';
import { COMMAND_TABLE, type CommandSpec } from '../../src/cli/command-table.ts';
import { run } from '../../src/cli/dispatch.ts';
import { VERSION } from '../../src/version.ts';
import { capturedCliDeps } from '../helpers/cli-deps.ts';

const home = mkdtempSync(join(tmpdir(), 'eidf-help-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** Runs the CLI in-process with captured output, a private EIDF_HOME and no agent. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const { deps, output } = capturedCliDeps({
    env: { HOME: home, EIDF_HOME: home, EIDF_STORE: 'memory', PATH: process.env.PATH ?? '', ...env },
    cwd: home,
  });
  const code = await run(argv, deps);
  return { code, ...output };
}

/** Every command and subcommand as a path of names. */
function allPaths(): { path: string[]; spec: CommandSpec }[] {
  return COMMAND_TABLE.flatMap((c) => [
    { path: [c.name], spec: c },
    ...(c.subcommands ?? []).map((s) => ({ path: [c.name, s.name], spec: s })),
  ]);
}

describe('help', () => {
  test('help, help COMMAND, COMMAND --help and -h: exit 0, stdout only, every flag with a meaning and an example', async () => {
    assert.equal(allPaths().length, 26);
    for (const { path, spec } of allPaths()) {
      const answers = [
        await cli(['help', ...path]),
        await cli([...path, '--help']),
        await cli([...path, '-h']),
        // `version` is also a protocol verb: extra words there keep the protocol's answer.
        // (a word after a command with subcommands names the subcommand, so none there).
        ...(path[0] === 'version' || spec.subcommands
          ? []
          : [await cli([...path, 'some-operand', '--project', 'x', '--help'])]),
      ];
      for (const answer of answers) {
        assert.equal(answer.code, 0, `${path.join(' ')}: ${answer.stderr}`);
        assert.equal(answer.stderr, '');
        assert.equal(answer.stdout, answers[0].stdout, path.join(' '));
      }
      const text = answers[0].stdout;
      assert.ok(text.startsWith(`Usage: docker-credential-eidf ${path.join(' ')}`), text);
      for (const flag of spec.flags ?? []) {
        const at = text.indexOf(`--${flag.name}${flag.value ? ` ${flag.value}` : ''}  `);
        assert.ok(at > 0, `${path.join(' ')} --${flag.name}`);
        const [meaning, example] = text.slice(at).split('\n');
        assert.ok(meaning.includes(flag.meaning));
        assert.match(example, /^\s+e\.g\. docker-credential-eidf \S/);
        assert.ok(example.includes(`--${flag.name}`) || (flag.short && example.includes(`-${flag.short}`)), example);
      }
      for (const sub of spec.subcommands ?? []) assert.match(text, new RegExp(`\\n  ${sub.name}\\b`));
    }
  });

  test('the reported cases: robot delete --help and setup --help', async () => {
    const robot = await cli(['robot', 'delete', '--help']);
    assert.equal(robot.code, 0);
    assert.doesNotMatch(robot.stdout + robot.stderr, /Unknown option|ERR_PARSE_ARGS/);
    assert.match(robot.stdout, /--project P {2}the Harbor project \(required\)/);
    const setup = await cli(['setup', '--help']);
    assert.deepEqual([setup.code, setup.stderr], [0, '']);
    assert.match(setup.stdout, /--undo/);
  });

  test('help lists every command and subcommand; help for a protocol verb too', async () => {
    const { code, stdout } = await cli(['help']);
    assert.equal(code, 0);
    for (const { path } of allPaths()) assert.match(stdout, new RegExp(`\\n {2,4}${path.at(-1)}\\b`));
    assert.deepEqual(await cli(['--help']), await cli(['help']));
    assert.deepEqual(await cli(['-h']), await cli(['help']));
    assert.match((await cli(['help', 'get'])).stdout, /^Usage: docker-credential-eidf get\n/);
    assert.match((await cli(['version', '--help'])).stdout, /^Usage: docker-credential-eidf version\n/);
  });
});

describe('mistakes: one line naming what is wrong, exit 2', () => {
  const cases: [string[], string][] = [
    [['logni'], "unknown command 'logni'; did you mean login?"],
    [['stauts'], "unknown command 'stauts'; did you mean status?"],
    [['xyzzy'], "unknown command 'xyzzy'; see: docker-credential-eidf --help"],
    [['robot', 'delet'], "unknown robot command 'delet'; did you mean delete?"],
    [['help', 'robto'], "unknown command 'robto'; did you mean robot?"],
    [
      ['robot'],
      'robot needs a command: list, create, import, rotate or delete; see: docker-credential-eidf robot --help',
    ],
    [
      ['robot', 'delete', 'x', '--project', 'demo', '--bogus'],
      'unknown flag --bogus for robot delete; see: docker-credential-eidf robot delete --help',
    ],
    [
      ['status', '--jsno'],
      'unknown flag --jsno for status; did you mean --json?; see: docker-credential-eidf status --help',
    ],
    [['login', '-x'], 'unknown flag -x for login; see: docker-credential-eidf login --help'],
    [['login', '--secret-stdin'], '--secret-stdin needs --username U; see: docker-credential-eidf login --help'],
    [['robot', 'list'], 'robot list needs --project P; see: docker-credential-eidf robot list --help'],
    [['robot', 'list', '--project'], '--project needs a value (P); see: docker-credential-eidf robot list --help'],
    [
      ['robot', 'delete', '--project', 'demo'],
      'robot delete needs NAME; see: docker-credential-eidf robot delete --help',
    ],
    [['config', 'get', 'a', 'b'], 'config get needs NAME (got "b"); see: docker-credential-eidf config get --help'],
    [['status', 'now'], 'status takes no operands (got "now"); see: docker-credential-eidf status --help'],
    [['doctor', '--json=yes'], '--json takes no value; see: docker-credential-eidf doctor --help'],
    [
      ['export-k8s', '--namespace', 'ns', '--project', 'demo', '-o', 'xml'],
      '-o "xml" is not valid: use yaml or json; see: docker-credential-eidf export-k8s --help',
    ],
    [['completion', 'tcsh'], 'completion takes bash, zsh or fish (got "tcsh")'],
  ];
  for (const [argv, message] of cases) {
    test(argv.join(' '), async () => {
      assert.deepEqual(await cli(argv), { code: 2, stdout: '', stderr: `docker-credential-eidf: ${message}\n` });
    });
  }

  test('a protocol verb with extra words keeps the protocol shape: one line on stdout, exit 1', async () => {
    const answer = await cli(['get', 'extra']);
    assert.equal(answer.code, 1);
    assert.match(answer.stdout, /^Usage: docker-credential-eidf <store\|get\|erase\|list\|version>; /);
  });
});

describe('the parser', () => {
  test('values: --flag value, --flag=value, -f value, negative numbers, -- ends the flags', () => {
    assert.deepEqual(parseCommandLine(['robot', 'create', 'x', '-p', 'demo', '--days', '-1']), {
      help: false,
      path: ['robot', 'create'],
      values: { project: 'demo', days: '-1' },
      positionals: ['x'],
    });
    assert.deepEqual(parseCommandLine(['robot', 'create', '--project=demo', '--', '--odd']), {
      help: false,
      path: ['robot', 'create'],
      values: { project: 'demo' },
      positionals: ['--odd'],
    });
    // After --, --help is an operand, not a request for help.
    assert.equal(parseCommandLine(['config', 'get', '--', '--help']).help, false);
  });
});

describe('version', () => {
  test('version, --version and -V agree: the program and version first, then Node and the platform', async () => {
    const line = `docker-credential-eidf ${VERSION} (Node ${process.version}, ${process.platform}/${process.arch})\n`;
    for (const argv of [['version'], ['--version'], ['-V']])
      assert.deepEqual(await cli(argv), { code: 0, stdout: line, stderr: '' });
  });
});

describe('reports go to stdout', () => {
  test('config set, get, list and unset', async () => {
    const set = await cli(['config', 'set', 'keepAliveSeconds', '600']);
    assert.equal(set.code, 0);
    assert.match(set.stdout, /^set keepAliveSeconds = 600 in /);
    assert.doesNotMatch(set.stderr, /set keepAliveSeconds/);
    assert.deepEqual(await cli(['config', 'get', 'keepAliveSeconds']), { code: 0, stdout: '600\n', stderr: '' });
    const list = await cli(['config', 'list']);
    assert.deepEqual([list.code, list.stderr], [0, '']);
    assert.match(list.stdout, /^config file: .*config\.json\n/);
    assert.match(list.stdout, /\nkeepAliveSeconds +600 +config file\n/);
    const unset = await cli(['config', 'unset', 'keepAliveSeconds']);
    assert.deepEqual([unset.code, unset.stdout.startsWith('removed keepAliveSeconds from ')], [0, true]);
  });

  test('daemon status and daemon stop without an agent', async () => {
    const status = await cli(['daemon', 'status']);
    assert.equal(status.code, 3);
    assert.match(status.stdout, /^no agent is running \(socket .*agent\.sock\)\n$/);
    assert.deepEqual(await cli(['daemon', 'stop']), { code: 0, stdout: 'no agent was running\n', stderr: '' });
  });

  test('setup and setup --undo report what they changed on stdout', async () => {
    const docker = join(home, 'docker');
    const env = { DOCKER_CONFIG: docker, REGISTRY_AUTH_FILE: join(home, 'auth.json') };
    const setup = await cli(['setup'], env);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, /config\.json/);
    assert.equal(setup.stderr, '');
    const undo = await cli(['setup', '--undo'], env);
    assert.equal(undo.code, 0, undo.stderr);
    assert.notEqual(undo.stdout, '');
  });
});

describe('completion', () => {
  const has = (program: string) => spawnSync(program, ['-c', 'true']).status === 0;

  /** The words bash offers for `docker-credential-eidf WORDS…` with the cursor on the last one. */
  async function bashComplete(words: string[]): Promise<string[]> {
    const script = join(home, 'completion.bash');
    writeFileSync(script, (await cli(['completion', 'bash'])).stdout);
    const line = ['docker-credential-eidf', ...words];
    const program = [
      `source ${script}`,
      `COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${line.length - 1}`,
      '_docker_credential_eidf',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const result = spawnSync('bash', ['--norc', '-c', program], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.split('\n').filter(Boolean).sort();
  }

  test('bash: commands, subcommands, flags, flag values and operands', async () => {
    assert.deepEqual(await bashComplete(['robot', 'de']), ['delete']);
    assert.deepEqual(await bashComplete(['lo']), ['login', 'logout']);
    assert.deepEqual(await bashComplete(['robot', 'delete', 'x', '--pro']), ['--project']);
    assert.deepEqual(await bashComplete(['export-k8s', '-o', '']), ['json', 'yaml']);
    assert.deepEqual(await bashComplete(['login', '--secret-']), ['--secret-stdin']);
    assert.deepEqual(await bashComplete(['config', 'get', 'sto']), ['store']);
    assert.deepEqual(await bashComplete(['completion', '']), ['bash', 'fish', 'zsh']);
    assert.deepEqual(await bashComplete(['daemon', '']), ['run', 'start', 'status', 'stop']);
  });

  test('zsh and fish scripts parse (where the shells are installed)', async (t) => {
    for (const shell of ['zsh', 'fish']) {
      if (!has(shell)) {
        t.diagnostic(`${shell} is not installed: not checked`);
        continue;
      }
      const file = join(home, `completion.${shell}`);
      writeFileSync(file, (await cli(['completion', shell])).stdout);
      const result = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      assert.equal(result.status, 0, `${shell}: ${result.stderr}`);
    }
  });

  test('fish: the generated completions answer for subcommands and flags', async (t) => {
    if (!has('fish')) return t.skip('fish is not installed');
    const file = join(home, 'completion.fish');
    writeFileSync(file, (await cli(['completion', 'fish'])).stdout);
    const ask = (line: string) =>
      spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.split('\t')[0])
        .filter(Boolean);
    assert.deepEqual(ask('docker-credential-eidf robot de'), ['delete']);
    assert.ok(ask('docker-credential-eidf robot delete x --pro').includes('--project'));
  });
});
