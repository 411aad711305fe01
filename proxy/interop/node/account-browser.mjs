// The account pages in a real browser (Debian's Chromium, driven by
// playwright-core), against mcpgate with oidc-provider upstream:
//
//   1. an MCP client registers and sends the user to /authorize; the user
//      approves on the consent page and signs in upstream;
//   2. the account page lists the client; the user makes a personal access
//      token there;
//   3. the TypeScript SDK client lists tools with the token as its bearer
//      header; the user revokes the token and the next call is refused;
//   4. the user revokes the client: its refresh fails, its access token is
//      refused.
//
// Every page is screenshotted into $ARTIFACTS and checked with axe-core.
//
//   GATEWAY=<mcpgate URL> ARTIFACTS=<dir> CHROMIUM=<path> node account-browser.mjs
//
// It prints one JSON summary line; never a token or a code.
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const gateway = process.env.GATEWAY;
const resource = `${gateway}/mcp`;
const artifacts = process.env.ARTIFACTS;
const redirectUri = 'http://127.0.0.1:7777/browser-test/callback';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const summary = { steps: [], screenshots: [], axe: {} };

function step(name) { summary.steps.push(name); }

async function json(resp) {
  const text = await resp.text();
  try { return JSON.parse(text); } catch { return { raw: text.slice(0, 200) }; }
}

// check screenshots the page and runs axe-core on it: its serious and
// critical violations are kept by page name.
async function check(page, name) {
  const file = join(artifacts, `${String(summary.screenshots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  summary.screenshots.push(file);
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  summary.axe[name] = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
}

async function listTools(bearer) {
  const client = new Client({ name: 'mcpgate browser test (personal token)', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    return { ok: true, tools: tools.length };
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e).slice(0, 200) };
  } finally {
    await client.close().catch(() => {});
  }
}

async function mcpStatus(bearer) {
  const resp = await fetch(resource, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  await resp.arrayBuffer();
  return resp.status;
}

async function main() {
  mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    // bypassCSP lets axe-core in; the pages' CSP is checked by the Go tests.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 430, height: 900 } });
    const page = await context.newPage();

    await page.goto(`${gateway}/account`);
    await check(page, 'account-signed-out');

    // 1. An MCP client's sign-in: registration, then the browser.
    const reg = await json(await fetch(`${gateway}/register`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'Browser test client', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'] }),
    }));
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = new URL(`${gateway}/authorize`);
    Object.entries({ response_type: 'code', client_id: reg.client_id, redirect_uri: redirectUri, state: 'browser-state',
      code_challenge: challenge, code_challenge_method: 'S256', resource, scope: 'mcp' })
      .forEach(([k, v]) => authorize.searchParams.set(k, v));
    let code;
    await page.route(`${redirectUri}**`, async (route) => {
      code = new URL(route.request().url()).searchParams.get('code');
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>done</title><p>You can close this window.</p>' });
    });
    await page.goto(authorize.toString());
    await page.getByRole('heading', { name: 'Allow access to your MCP tools?' }).waitFor();
    await check(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${redirectUri}**`);
    if (!code) throw new Error('no code reached the client');
    const tokens = await json(await fetch(`${gateway}/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: reg.client_id, code, redirect_uri: redirectUri,
        code_verifier: verifier, resource }),
    }));
    if (!tokens.access_token || !tokens.refresh_token) throw new Error(`token exchange: ${JSON.stringify(tokens).slice(0, 200)}`);
    step('client signed in');

    // 2. The account page, the client on it, a new token.
    await page.goto(`${gateway}/account`);
    await page.getByRole('heading', { name: 'Connected applications' }).waitFor();
    summary.clientListed = (await page.getByRole('cell', { name: /Browser test client/ }).count()) > 0;
    await check(page, 'account');
    await page.getByLabel('Name').fill('CI job');
    await page.getByLabel('Expires after').selectOption({ label: '30 days' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const pat = (await page.locator('#new-token').textContent()).trim();
    summary.tokenPrefix = pat.slice(0, 12);
    await check(page, 'token-created');
    await page.goto(`${gateway}/account`);
    summary.tokenShownAgain = (await page.content()).includes(pat);
    summary.tokenListed = (await page.getByRole('cell', { name: 'CI job' }).count()) > 0;
    step('token made');

    // 3. The TypeScript SDK with the token; revoked, refused.
    summary.withToken = await listTools(pat);
    await page.getByRole('button', { name: 'Revoke CI job' }).click();
    await page.waitForURL(`${gateway}/account`);
    await check(page, 'token-revoked');
    summary.afterTokenRevoked = await listTools(pat);
    summary.tokenStatusAfterRevoke = await mcpStatus(pat);
    step('token revoked');

    // 4. The client revoked: refresh and access token refused.
    await page.getByRole('button', { name: 'Revoke access of Browser test client' }).click();
    await page.waitForURL(`${gateway}/account`);
    await check(page, 'client-revoked');
    const refreshed = await fetch(`${gateway}/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: reg.client_id, refresh_token: tokens.refresh_token, resource }),
    });
    summary.refreshAfterRevoke = { status: refreshed.status, error: (await json(refreshed)).error ?? null };
    summary.accessAfterRevoke = await mcpStatus(tokens.access_token);
    step('client revoked');
    summary.ok = true;
  } finally {
    await browser.close();
  }
}

main().catch((e) => { summary.ok = false; summary.error = String(e?.stack ?? e).slice(0, 2000); })
  .finally(() => { console.log(JSON.stringify(summary)); });
