import { SANDBOX_PASSWORD } from './users.ts';

/**
 * A tiny headless "browser" for scripted sign-ins: a cookie jar, manual redirects, and
 * submitting the first form of each page. It drives the IdP's device and login pages and
 * Harbor's /c/oidc/login exactly as a person would, over real HTTP.
 */
export interface PageResult {
  url: string;
  status: number;
  html: string;
}

export class HeadlessBrowser {
  // Browsers do not separate cookies by port, and neither does this jar (name → value).
  readonly cookies = new Map<string, string>();

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, url: string, form?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.storeCookie(line);
    return res;
  }

  private storeCookie(line: string): void {
    const [pair, ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    if (i < 0) return;
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const expired =
      attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) ||
      attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]).getTime() < Date.now());
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  /**
   * Opens `startUrl` and keeps following redirects and submitting forms (filling `fill`
   * into inputs of the same name, and sending `press` with every form: the name and value of a button the
   * person presses instead of the first, e.g. `{ abort: 'yes' }`) until `done` says the page reached is the goal.
   */
  async walk(
    startUrl: string,
    fill: Record<string, string>,
    done: (page: PageResult) => boolean,
    press: Record<string, string> = {},
  ): Promise<PageResult> {
    let url = startUrl;
    let res = await this.request('GET', url);
    for (let step = 0; step < 25; step++) {
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        url = new URL(res.headers.get('location') as string, url).href;
        await res.body?.cancel();
        res = await this.request('GET', url);
        continue;
      }
      const page = { url, status: res.status, html: await res.text() };
      if (done(page)) return page;
      const form = firstForm(page.html);
      if (!form || res.status >= 400) {
        throw new Error(`sign-in stopped at ${new URL(url).pathname} (HTTP ${res.status}): ${summary(page.html)}`);
      }
      for (const name of Object.keys(form.fields)) if (name in fill) form.fields[name] = fill[name];
      Object.assign(form.fields, press);
      url = new URL(form.action || url, url).href;
      res = await this.request(form.method, url, form.fields);
    }
    throw new Error('sign-in did not finish within 25 steps');
  }
}

interface ParsedForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

function firstForm(html: string): ParsedForm | undefined {
  const m = html.match(/<form([^>]*)>([\s\S]*?)<\/form>/i);
  if (!m) return undefined;
  const attr = (tag: string, name: string) =>
    decodeEntities(tag.match(new RegExp(`\\b${name}="([^"]*)"`, 'i'))?.[1] ?? '');
  const fields: Record<string, string> = {};
  for (const input of m[2].matchAll(/<input([^>]*)>/gi)) {
    const name = attr(input[1], 'name');
    if (name) fields[name] = attr(input[1], 'value');
  }
  // Only the first submit button counts: it is the one pressed (never "abort").
  const button = m[2].match(/<button([^>]*)>/i);
  if (button && attr(button[1], 'name')) fields[attr(button[1], 'name')] = attr(button[1], 'value');
  return { action: attr(m[1], 'action'), method: (attr(m[1], 'method') || 'GET').toUpperCase(), fields };
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const k = e.toLowerCase();
    if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16));
    if (k.startsWith('#')) return String.fromCodePoint(parseInt(k.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[k];
  });
}

function summary(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

/** Approves a device code as `username` (the page flow test-rig §4 describes). */
export async function approveDevice(verificationUriComplete: string, username: string): Promise<void> {
  const browser = new HeadlessBrowser();
  await browser.walk(verificationUriComplete, { username, password: SANDBOX_PASSWORD }, (page) =>
    /<title>Sign-in Success<\/title>/.test(page.html),
  );
}
