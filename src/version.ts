/** The product version. The helper and the agent compare it to decide whether to restart the agent. */
export const VERSION = '0.1.0';
export const PRODUCT = 'docker-credential-eidf';

/** What `version`, `--version` and `-V` print: the program and version first, as credential helpers do. */
export function versionLine(version: string): string {
  return `${PRODUCT} ${version} (Node ${process.version}, ${process.platform}/${process.arch})`;
}
