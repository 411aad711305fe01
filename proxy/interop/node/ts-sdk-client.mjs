// The TypeScript MCP SDK's own OAuth client against mcpgate, end to end:
// 401 and discovery, dynamic registration, PKCE, consent, upstream login,
// code exchange, tools/list, tools/call, then a refresh through the SDK's
// auth() and another tools/call with the new access token.
//
//   node ts-sdk-client.mjs <mcp-url>
//
// It prints one JSON summary line on stdout for the Go test to assert on.
// Neither tokens nor codes are printed: only facts about them.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { randomBytes } from 'node:crypto';
import { browse } from './browser.mjs';

const serverUrl = new URL(process.argv[2] ?? '');
// Nothing listens here: the browser stops before requesting it and hands
// the code over, as a native app's custom-scheme handler would.
const redirectUrl = 'http://127.0.0.1:7777/ts-sdk/callback';

const summary = { requests: [] };

// record is the transport's and auth's fetch: it notes method, path and
// status of every request (never query strings or bodies).
async function record(input, init) {
  const resp = await fetch(input, init);
  const u = new URL(input instanceof Request ? input.url : String(input));
  summary.requests.push(`${init?.method ?? 'GET'} ${u.pathname} ${resp.status}`);
  if (resp.status === 401 && summary.firstChallenge === undefined) {
    summary.firstChallenge = resp.headers.get('www-authenticate') ?? '';
  }
  return resp;
}

class HeadlessProvider {
  #client;
  #tokens;
  #verifier;
  #state = randomBytes(16).toString('base64url');
  #discovery;
  code;

  get redirectUrl() { return redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'mcpgate interop: TypeScript SDK',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { return this.#state; }
  clientInformation() { return this.#client; }
  saveClientInformation(info) {
    this.#client = info;
    summary.registration = { clientID: info.client_id ?? null, tokenEndpointAuthMethod: info.token_endpoint_auth_method ?? null };
  }
  tokens() { return this.#tokens; }
  saveTokens(tokens) { this.#tokens = tokens; }
  saveCodeVerifier(v) { this.#verifier = v; }
  codeVerifier() { return this.#verifier; }
  saveDiscoveryState(s) { this.#discovery = s; }
  discoveryState() { return this.#discovery; }

  async redirectToAuthorization(url) {
    const q = url.searchParams;
    summary.authorization = {
      endpoint: `${url.origin}${url.pathname}`,
      codeChallengeMethod: q.get('code_challenge_method'),
      hasCodeChallenge: Boolean(q.get('code_challenge')),
      resource: q.get('resource'),
      scope: q.get('scope'),
    };
    const hops = [];
    const { url: back, consented } = await browse(url.toString(), { stopAt: redirectUrl, hops });
    const r = new URL(back).searchParams;
    summary.authorization.consented = consented;
    summary.authorization.hops = hops;
    summary.authorization.stateMatches = r.get('state') === this.#state;
    summary.authorization.iss = r.get('iss');
    summary.authorization.error = r.get('error');
    this.code = r.get('code');
  }
}

// claims reports the non-secret claims of an access token.
function claims(token) {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    return { iss: c.iss, aud: c.aud, sub: c.sub, client_id: c.client_id, email: c.email, name: c.name, groups: c.groups, scope: c.scope };
  } catch {
    return { opaque: true };
  }
}

async function connect(provider) {
  const client = new Client({ name: 'mcpgate-interop-ts-sdk', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: record });
  await client.connect(transport);
  return client;
}

const textOf = (result) => result.content?.find((c) => c.type === 'text')?.text ?? null;

async function main() {
  const provider = new HeadlessProvider();

  // 1. Unauthenticated connect: 401, discovery, registration, browser.
  const first = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: record });
  try {
    await new Client({ name: 'mcpgate-interop-ts-sdk', version: '1.0.0' }).connect(first);
    throw new Error('connect without a token succeeded; want UnauthorizedError');
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
  }
  if (!provider.code) throw new Error(`no authorization code came back (error=${summary.authorization?.error})`);

  // 2. Code exchange through the transport, as the SDK documents.
  await first.finishAuth(provider.code);
  const t1 = provider.tokens();
  summary.token = { type: t1.token_type, hasRefreshToken: Boolean(t1.refresh_token), expiresIn: t1.expires_in, claims: claims(t1.access_token) };

  // 3. Authorized session: list and call.
  let client = await connect(provider);
  summary.serverName = client.getServerVersion()?.name;
  summary.tools = (await client.listTools()).tools.map((t) => t.name);
  summary.call = textOf(await client.callTool({ name: 'test_simple_text', arguments: {} }));
  await client.close();

  // 4. Refresh through the SDK: auth() with stored tokens and no code
  //    uses the refresh_token grant.
  const outcome = await auth(provider, { serverUrl, fetchFn: record });
  const t2 = provider.tokens();
  summary.refresh = {
    outcome,
    accessTokenChanged: t2.access_token !== t1.access_token,
    refreshTokenRotated: Boolean(t2.refresh_token) && t2.refresh_token !== t1.refresh_token,
  };

  // 5. The new access token opens the endpoint.
  client = await connect(provider);
  summary.callAfterRefresh = textOf(await client.callTool({ name: 'test_simple_text', arguments: {} }));
  await client.close();
}

try {
  await main();
  summary.ok = true;
} catch (err) {
  summary.ok = false;
  summary.error = String(err?.stack ?? err);
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
