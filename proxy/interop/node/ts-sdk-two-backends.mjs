// The TypeScript MCP SDK client against two backends behind one mcpgate,
// with one browser (one cookie jar): the first backend's authorization
// signs in at the IdP, the second's should not.
//
//   node ts-sdk-two-backends.mjs <idp-origin> <http-backend-url> <stdio-backend-url>
//
// It prints one JSON summary line; never tokens, codes or query strings.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { randomBytes } from 'node:crypto';
import { browse, CookieJar } from './browser.mjs';

const [idp, ...urls] = process.argv.slice(2);
const redirectUrl = 'http://127.0.0.1:7777/ts-sdk-two/callback';
const jar = new CookieJar();
const summary = { backends: [] };

class Provider {
  #client; #tokens; #verifier; #discovery;
  #state = randomBytes(16).toString('base64url');
  code; idpHops = 0;
  get redirectUrl() { return redirectUrl; }
  get clientMetadata() {
    return { client_name: 'mcpgate interop: TypeScript SDK, two backends', redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() { return this.#state; }
  clientInformation() { return this.#client; }
  saveClientInformation(info) { this.#client = info; }
  tokens() { return this.#tokens; }
  saveTokens(t) { this.#tokens = t; }
  saveCodeVerifier(v) { this.#verifier = v; }
  codeVerifier() { return this.#verifier; }
  saveDiscoveryState(s) { this.#discovery = s; }
  discoveryState() { return this.#discovery; }
  async redirectToAuthorization(url) {
    const hops = [];
    const { url: back } = await browse(url.toString(), { stopAt: redirectUrl, jar, hops });
    this.idpHops = hops.filter((h) => h.includes(` ${idp}/`)).length;
    this.code = new URL(back).searchParams.get('code');
  }
}

async function backend(serverUrl) {
  const url = new URL(serverUrl);
  const provider = new Provider();
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  try {
    await new Client({ name: 'ts-two', version: '1' }).connect(first);
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
  }
  if (!provider.code) throw new Error(`no code for ${url.pathname}`);
  await first.finishAuth(provider.code);
  const client = new Client({ name: 'ts-two', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const out = { path: url.pathname, idpHops: provider.idpHops, tools };
  if (tools.includes('progress')) {
    const progress = [];
    const res = await client.callTool({ name: 'progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
    out.progress = progress;
    out.result = res.content?.[0]?.text;
  } else {
    const res = await client.callTool({ name: 'test_simple_text', arguments: {} });
    out.result = res.content?.[0]?.text;
  }
  await client.close();
  return out;
}

try {
  for (const u of urls) summary.backends.push(await backend(u));
  summary.ok = true;
} catch (err) {
  summary.ok = false;
  summary.error = String(err?.stack ?? err);
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
