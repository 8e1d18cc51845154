import { EidfError } from './errors.ts';

/**
 * The key Docker uses for a registry: the bare `host[:port]`, lower-cased, with scheme, path,
 * query and userinfo dropped (docker/cli `ConvertToHostname`). `https://reg:5000/v2/`,
 * `http://reg:5000/` and `reg:5000` all name one entry; `reg` is another.
 * Docker Hub's legacy key `https://index.docker.io/v1/` is kept as Docker writes it.
 */
export function registryKey(serverURL: string): string {
  const input = serverURL.trim();
  if (input === '') throw new EidfError('BAD_INPUT', 'no credentials server URL');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `//${input}`;
  let url: URL;
  try {
    url = new URL(withScheme, 'https://placeholder.invalid');
  } catch {
    throw new EidfError('BAD_INPUT', 'invalid server URL');
  }
  const host = url.host.toLowerCase();
  if (host === '' || host === 'placeholder.invalid' || /[\s/\\]/.test(host)) {
    throw new EidfError('BAD_INPUT', 'invalid server URL');
  }
  if (host === 'index.docker.io' || host === 'docker.io' || host === 'registry-1.docker.io') {
    return 'https://index.docker.io/v1/';
  }
  return host;
}

