import { EidfError } from './errors.ts';

/**
 * The key Docker uses for a registry, computed as docker/cli computes it, and nothing more:
 * `ConvertToHostname` (cli/config/credentials/file_store.go) then `getAuthConfigKey`
 * (cli/config/configfile/file.go). So `https://reg:5000/v2/`, `http://reg:5000/` and `reg:5000`
 * name one entry; `reg` is another; Docker Hub (`docker.io`, `index.docker.io`) keeps its legacy key
 * `https://index.docker.io/v1/`.
 *
 * No other rewriting: no lower-casing, no IDNA or Unicode folding, no numeric-IP or percent
 * decoding (WHATWG URL parsing does all of these, so `ｒｅｇ.example`, `%72eg.example` and
 * `reg.example` would share one credential). Keys Docker would keep but that no registry can have
 * (empty, ending in `:`, whitespace, control characters, backslashes) are refused with BAD_INPUT.
 */
export function registryKey(serverURL: string): string {
  if (serverURL.trim() === '') throw new EidfError('BAD_INPUT', 'no credentials server URL');
  const host = convertToHostname(serverURL);
  // Docker answers `https:` for `https://` (no host: the cut at the first /); no registry is named so.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (host === '' || host.endsWith(':') || /[\s\\\u0000-\u001f\u007f]/.test(host))
    throw new EidfError('BAD_INPUT', 'invalid server URL');
  return getAuthConfigKey(host);
}

/** docker/cli `getAuthConfigKey`: Docker Hub's historical key; any other host unchanged. */
export function getAuthConfigKey(domainName: string): string {
  return domainName === 'docker.io' || domainName === 'index.docker.io' ? 'https://index.docker.io/v1/' : domainName;
}

/**
 * docker/cli `ConvertToHostname`: with `://`, the host[:port] Go's `url.Parse` finds (else the text
 * between `://` and the next `/`); without, everything before the first `/`.
 */
export function convertToHostname(maybeURL: string): string {
  if (maybeURL.includes('://')) {
    const parsed = goUrlHost(maybeURL);
    if (parsed !== undefined && parsed.hostname !== '') {
      return parsed.port === '' ? parsed.hostname : joinHostPort(parsed.hostname, parsed.port);
    }
    const fallback = hostFromURLFallback(maybeURL);
    if (fallback !== '') return fallback;
  }
  return maybeURL.split('/', 1)[0];
}

/** docker/cli `hostFromURLFallback`: the host of a scheme URL Go refuses (e.g. unbracketed IPv6). */
function hostFromURLFallback(maybeURL: string): string {
  const at = maybeURL.indexOf('://');
  if (at < 0) return '';
  const host = maybeURL.slice(at + 3).split('/', 1)[0];
  if (host === '') return '';
  if ((host.match(/:/g) ?? []).length > 1 && !host.startsWith('[')) {
    const portStart = host.lastIndexOf(':');
    const [addr, port] = [host.slice(0, portStart), host.slice(portStart + 1)];
    if (addr !== '' && /^[0-9]+$/.test(port)) return joinHostPort(addr, port);
  }
  return host;
}

/** Go `net.JoinHostPort`. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * What Go's `url.Parse(raw)` gives as `Hostname()` and `Port()`, or undefined where it returns an
 * error. Follows net/url: control bytes refused; fragment, then query cut off; scheme
 * `[A-Za-z][A-Za-z0-9+.-]*`; authority after `//` up to `/`; userinfo up to the last `@`; host
 * characters and %-escapes as `unescape(…, encodeHost)` allows them (only non-ASCII bytes and %25).
 */
function goUrlHost(raw: string): { hostname: string; port: string } | undefined {
  // eslint-disable-next-line no-control-regex -- as Go's url.Parse, control characters are refused
  if (/[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  let rest = raw.split('#', 1)[0];
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (!scheme) return { hostname: '', port: '' }; // no scheme: a path, no host
  rest = rest.slice(scheme[0].length).split('?', 1)[0]!;
  if (!rest.startsWith('//')) return { hostname: '', port: '' };
  const authority = rest.slice(2).split('/', 1)[0];
  const at = authority.lastIndexOf('@');
  if (at >= 0 && !/^[A-Za-z0-9\-._~!$&'()*+,;=:%@]*$/.test(authority.slice(0, at))) return undefined;
  const host = goParseHost(authority.slice(at + 1));
  if (host === undefined) return undefined;
  // URL.Hostname() / URL.Port(): split at a valid ":port" suffix, strip IPv6 brackets.
  const colon = host.lastIndexOf(':');
  let [hostname, port] = [host, ''];
  if (colon >= 0 && /^:[0-9]*$/.test(host.slice(colon)))
    [hostname, port] = [host.slice(0, colon), host.slice(colon + 1)];
  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
  return { hostname, port };
}

/** Go net/url `parseHost`: validates the port and the characters, decodes the escapes Go decodes. */
function goParseHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0 || !/^(:[0-9]*)?$/.test(host.slice(close + 1))) return undefined;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      if (!/^:[0-9]*$/.test(host.slice(colon))) return undefined;
      if (host.slice(0, colon).includes(':')) return undefined; // unbracketed IPv6 (Go ≥ 1.25)
    }
  }
  const bytes: number[] = [];
  const raw = Buffer.from(host, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte === 0x25) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      const value = Number.parseInt(hex, 16);
      if (value < 0x80 && hex !== '25') return undefined; // %-escapes only for non-ASCII bytes (RFC 3986 §3.2.2)
      bytes.push(value);
      i += 2;
    } else if (byte < 0x80 && !/[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/.test(String.fromCharCode(byte))) {
      return undefined; // Go: invalid character in host name
    } else {
      bytes.push(byte);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
