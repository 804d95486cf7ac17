// A real OpenID provider (the oidc-provider package, pinned in package-lock.json) for costdash's SSO browser test
// (tests/e2e/test_sso_browser.py). Started as:
//
//   OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... OIDC_REDIRECT_URIS=http://localhost:8000/sso/callback/ \
//   OIDC_USERS_FILE=users.json node server.mjs
//
// It listens on 127.0.0.1 (OIDC_PORT, default 0: a free port) and prints one JSON line {"issuer": "..."} once it
// accepts connections. The users are read from OIDC_USERS_FILE at every look-up, so a test changes a user's
// groups between two sign-ins by rewriting the file:
//
//   {"ana": {"email": "ana@example.com", "email_verified": true, "name": "Ana", "groups": ["eng"]}}
//
// Sign-in uses the package's development interactions (a login form and a consent page): the login names the
// user (an unknown one is refused), the password is not checked. Tokens are signed (RS256) with a key made at
// start-up; nothing here is mocked.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set`);
    process.exit(2);
  }
  return value;
};

const clientId = required('OIDC_CLIENT_ID');
const clientSecret = required('OIDC_CLIENT_SECRET');
const redirectUris = required('OIDC_REDIRECT_URIS').split(',').map((uri) => uri.trim()).filter(Boolean);
const usersFile = required('OIDC_USERS_FILE');
const port = Number(process.env.OIDC_PORT || 0);

function users() {
  return JSON.parse(readFileSync(usersFile, 'utf8'));
}

async function findAccount(ctx, id) {
  const user = users()[id];
  if (!user) {
    return undefined;
  }
  return {
    accountId: id,
    async claims() {
      const current = users()[id] || user; // read again: the groups may have changed since the sign-in began
      return {
        sub: id,
        email: current.email,
        email_verified: current.email_verified,
        name: current.name,
        groups: current.groups || [],
      };
    },
  };
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    findAccount,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: true } },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
