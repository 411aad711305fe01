// A headless stand-in for the user's browser: it follows redirects by hand
// with a cookie jar, clicks "Allow" on mcpgate's consent page, and goes
// through the upstream IdP's auto-completing login.
//
// As a module: `await browse(url, { stopAt })` returns the URL where it
// stopped. With stopAt (a URL prefix, e.g. the client's redirect_uri) it
// does not request that URL, so the caller can take the code from it;
// without it, it also delivers the final redirect, as a browser would to a
// native client's loopback listener.
//
// As a command (the fake xdg-open / $BROWSER of the mcp-remote test):
//   node browser.mjs <url>
// It writes one JSON line to $INTEROP_BROWSER_LOG (if set) saying how it
// went, because the opener discards its stdout and stderr.
//
// It never prints query strings: they carry codes and state.
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const maxHops = 25;
const hopTimeoutMs = 15_000;

// CookieJar keeps cookies per host name, ignoring the port as browsers do
// (RFC 6265 §8.5): mcpgate and the IdP both live on 127.0.0.1.
export class CookieJar {
  #cookies = new Map(); // `${host}\t${path}\t${name}` -> {host, path, name, value}

  store(url, response) {
    const u = new URL(url);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = u.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path' && v.trim().startsWith('/')) path = v.trim();
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) < Date.now()) expired = true;
      }
      const id = `${u.hostname}\t${path}\t${name}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { host: u.hostname, path, name, value });
    }
  }

  header(url) {
    const u = new URL(url);
    const out = [];
    for (const c of this.#cookies.values()) {
      const pathOK = u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/');
      if (c.host === u.hostname && pathOK) out.push(`${c.name}=${c.value}`);
    }
    return out.join('; ');
  }
}

const entities = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeHTML(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return entities[e.toLowerCase()] ?? m;
  });
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i'));
  return m ? unescapeHTML(m[1]) : undefined;
}

// consentSubmission reads mcpgate's consent page: the form's action, its
// hidden fields, and the approve button. It returns undefined for any other
// page.
export function consentSubmission(pageURL, html) {
  const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return undefined;
  const approve = [...form[1].matchAll(/<button\b[^>]*>/gi)].map((m) => m[0])
    .find((b) => attr(b, 'name') === 'decision' && attr(b, 'value') === 'approve');
  if (!approve) return undefined;
  const fields = new URLSearchParams();
  for (const [input] of form[1].matchAll(/<input\b[^>]*>/gi)) {
    if ((attr(input, 'type') ?? '').toLowerCase() === 'hidden') fields.append(attr(input, 'name'), attr(input, 'value') ?? '');
  }
  fields.append('decision', 'approve');
  const formTag = form[0].slice(0, form[0].indexOf('>') + 1);
  return { action: new URL(attr(formTag, 'action') ?? pageURL, pageURL).toString(), body: fields.toString() };
}

const where = (url) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

// browse runs the browser part of a sign-in from url. hops lists where it
// went (origin and path only).
export async function browse(url, { stopAt, jar = new CookieJar(), hops = [] } = {}) {
  let method = 'GET';
  let body;
  let consented = false;
  for (let i = 0; i < maxHops; i++) {
    if (stopAt && url.startsWith(stopAt)) return { url, hops, consented };
    const headers = { accept: 'text/html' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const resp = await fetch(url, { method, body, headers, redirect: 'manual', signal: AbortSignal.timeout(hopTimeoutMs) });
    jar.store(url, resp);
    hops.push(`${method} ${where(url)} -> ${resp.status}`);
    if (resp.status >= 300 && resp.status < 400) {
      await resp.body?.cancel();
      const loc = resp.headers.get('location');
      if (!loc) throw new Error(`redirect without Location at ${where(url)}`);
      url = new URL(loc, url).toString();
      method = 'GET';
      body = undefined;
      continue;
    }
    const text = await resp.text();
    if (resp.status !== 200) {
      throw new Error(`${method} ${where(url)}: status ${resp.status}: ${text.slice(0, 300)}`);
    }
    const consent = consented ? undefined : consentSubmission(url, text);
    if (consent) {
      consented = true;
      url = consent.action;
      method = 'POST';
      body = consent.body;
      continue;
    }
    // A page that is neither a redirect nor a consent form ends the walk:
    // the client's loopback listener has answered.
    return { url, hops, consented, status: resp.status };
  }
  throw new Error(`more than ${maxHops} hops:\n${hops.join('\n')}`);
}

async function main() {
  const [url] = process.argv.slice(2);
  const log = process.env.INTEROP_BROWSER_LOG;
  const report = (o) => {
    const line = JSON.stringify(o);
    if (log) appendFileSync(log, line + '\n');
    console.log(line);
  };
  if (!url) {
    report({ ok: false, error: 'usage: browser.mjs <url>' });
    process.exit(2);
  }
  const hops = [];
  try {
    const r = await browse(url, { hops });
    report({ ok: true, final: where(r.url), consented: r.consented, hops });
  } catch (err) {
    const cause = err?.cause ? `: ${err.cause.message ?? err.cause}` : '';
    report({ ok: false, error: `${err?.message ?? err}${cause}`, hops });
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
