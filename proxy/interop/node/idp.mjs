// The upstream IdP for the interop tests: the certified `oidc-provider`
// with one static confidential client (mcpgate) and a fixed test user.
//
// Sign-in is headless: the interaction endpoint signs the test user in
// without a form, and loadExistingGrant grants every requested scope and
// claim, so a browser that only follows redirects gets through.
//
// Configuration (environment, so that the secret stays off the command line):
//   IDP_PORT           port on 127.0.0.1 to listen on (issuer http://127.0.0.1:<port>)
//   IDP_CLIENT_ID      mcpgate's client id
//   IDP_CLIENT_SECRET  mcpgate's client secret
//   IDP_REDIRECT_URI   mcpgate's <public>/oauth/callback
// It prints one line `{"ready":true,"issuer":...}` once it listens.
import { Provider } from 'oidc-provider';

const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`idp: ${name} is not set`);
    process.exit(2);
  }
  return v;
};

const port = Number(need('IDP_PORT'));
const issuer = `http://127.0.0.1:${port}`;

// The test users; the Go tests assert these claims come through. The
// first signs in unless the browser carries an idp_user cookie naming
// another (the policy tests sign in people of different groups).
const users = {
  'interop-user-1': {
    sub: 'interop-user-1',
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Lovelace',
    groups: ['engineering', 'mcp-users'],
  },
  'interop-user-2': {
    sub: 'interop-user-2',
    email: 'bo@example.com',
    email_verified: true,
    name: 'Bo Sales',
    groups: ['sales', 'mcp-users'],
  },
  'interop-user-3': {
    sub: 'interop-user-3',
    email: 'eve@outside.example',
    email_verified: true,
    name: 'Eve Outsider',
    groups: [],
  },
};
const defaultUser = 'interop-user-1';

// With IDP_REFRESH=1 the client gets rotating refresh tokens (a rotated
// one presented again revokes the whole grant, as oidc-provider does), and
// GET /test/disable?user=SUB disables a user: their refresh fails with
// invalid_grant, as when an administrator disables an account.
const refresh = process.env.IDP_REFRESH === '1';
const disabled = new Set();

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: need('IDP_CLIENT_ID'),
      client_secret: need('IDP_CLIENT_SECRET'),
      redirect_uris: [need('IDP_REDIRECT_URI')],
      grant_types: refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // groups is its own scope, as at Okta; mcpgate is configured to ask for
  // it. With the default conformIdTokenClaims, a code flow's ID token
  // carries none of these: mcpgate must fetch them from userinfo.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  async findAccount(_ctx, sub) {
    const user = disabled.has(sub) ? undefined : users[sub];
    if (!user) return undefined;
    return { accountId: sub, async claims() { return { ...user }; } };
  },
  // Consent is granted for whatever the client asks: the consent that
  // matters here is mcpgate's own, which the tests click through.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const existing = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (existing) {
      const g = await ctx.oidc.provider.Grant.find(existing);
      if (g) return g;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(refresh ? 'openid email profile groups offline_access' : 'openid email profile groups');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
    await grant.save();
    session.grantIdFor(client.clientId, grant.jti);
    return grant;
  },
  // No login form: the interaction route below signs the user in. The
  // provider advertises RFC 9207 iss, so mcpgate's callback checks it.
  features: { devInteractions: { enabled: false } },
  rotateRefreshToken: true,
  async issueRefreshToken(_ctx, client) {
    return refresh && client.grantTypeAllowed('refresh_token');
  },
  cookies: { keys: ['interop-only-cookie-key'] },
  ttl: { Session: 600, Interaction: 600, Grant: 600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});

// The only interaction is login: finish it at once as the test user.
provider.use(async (ctx, next) => {
  if (refresh && ctx.method === 'GET' && ctx.path === '/test/disable') {
    disabled.add(ctx.query.user);
    ctx.body = 'disabled';
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') {
      ctx.status = 500;
      ctx.body = `idp: unexpected prompt ${details.prompt.name}`;
      return;
    }
    const chosen = ctx.cookies.get('idp_user');
    const accountId = users[chosen] ? chosen : defaultUser;
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId } }, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  await next();
});

provider.on('server_error', (_ctx, err) => console.error('idp: server_error', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, issuer }));
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
