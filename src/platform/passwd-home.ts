import { statSync } from 'node:fs';
import { userInfo } from 'node:os';

/**
 * This process's home folder from the password database (getpwuid), for when HOME is unset
 * (cron, `env -i`, some `su`/CI setups). Undefined when there is no entry, no home in it, or that
 * folder does not exist: the caller refuses then, rather than falling back to a shared folder.
 */
export function homeFromPasswd(): string | undefined {
  let home: string;
  try {
    home = userInfo().homedir;
  } catch {
    return undefined; // no passwd entry for this uid
  }
  if (!home.startsWith('/')) return undefined;
  try {
    return statSync(home).isDirectory() ? home : undefined;
  } catch {
    return undefined;
  }
}
