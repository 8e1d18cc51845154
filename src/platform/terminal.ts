import { EidfError } from '../core/errors.ts';

/** Questions for a person at a terminal (stdin and stderr both a terminal). */
export interface Terminal {
  /**
   * Writes `question` to the terminal and reads one line typed there; with `echo: false` nothing
   * typed is shown (for a secret). Ctrl-C or Ctrl-D on an empty line reject with LOGIN_CANCELLED.
   */
  ask(question: string, options: { echo: boolean }): Promise<string>;
}

/** The terminal this process runs on, or undefined when stdin or stderr is not one. */
export function processTerminal(): Terminal | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return {
    ask: (question, options) =>
      askOnTerminal(process.stdin, (text) => process.stderr.write(text), question, options.echo),
  };
}

// Escape sequences (arrow keys, function keys) are dropped rather than taken as text.
// eslint-disable-next-line no-control-regex -- ESC starts the sequences to drop
const ESCAPE_SEQUENCE = /\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?/g;

/**
 * Reads a line in raw mode, so echo is ours to give or withhold and Ctrl-C arrives as a byte
 * (restoring the terminal before the process ends); handles backspace and Ctrl-U.
 */
function askOnTerminal(
  input: NodeJS.ReadStream,
  write: (text: string) => void,
  question: string,
  echo: boolean,
): Promise<string> {
  write(question);
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error?: EidfError) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const char of chunk.replace(ESCAPE_SEQUENCE, '')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\x03' || (char === '\x04' && line === ''))
          return finish(new EidfError('LOGIN_CANCELLED', 'login cancelled'));
        if (char === '\x7f' || char === '\b') {
          if (line !== '' && echo) write('\b \b');
          line = [...line].slice(0, -1).join('');
        } else if (char === '\x15') {
          if (echo) write('\b \b'.repeat([...line].length));
          line = '';
        } else if (char >= ' ') {
          line += char;
          if (echo) write(char);
        }
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}
