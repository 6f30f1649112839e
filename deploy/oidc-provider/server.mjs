#!/usr/bin/env node
// A test and development stand-in for Keycloak: one Node process serving several
// Keycloak-shaped realms, each an oidc-provider instance mounted under /realms/<realm>.
// NOT for production: in-memory state, keys regenerated at every start, test endpoints.
//
//   node server.mjs --port 9400 --config dev-realms.json
//
// See README.md for the configuration format and the HTTP sequences.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '9400' },
    host: { type: 'string', default: '127.0.0.1' },
    // Base of the issuer URLs; defaults to http://127.0.0.1:<port>.
    'public-url': { type: 'string' },
    config: { type: 'string' },
  },
});
if (!args.config) {
  console.error('usage: node server.mjs --port 9400 --config <realms.json> [--host 127.0.0.1] [--public-url http://127.0.0.1:9400]');
  process.exit(2);
}
const port = Number(args.port);
const config = JSON.parse(fs.readFileSync(args.config, 'utf8'));
const origin = (args['public-url'] ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
// Where this process reaches itself (logout auto-confirmation).
const selfHost = ['0.0.0.0', '::', '127.0.0.1'].includes(args.host) ? '127.0.0.1' : args.host;

// ---------------------------------------------------------------------------------------------
// Helpers

const b64url = (data) => Buffer.from(data).toString('base64url');
const epoch = () => Math.floor(Date.now() / 1000);

function newSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(12).toString('base64url');
  return {
    kid,
    privateKey,
    publicKey: crypto.createPublicKey(privateKey),
    jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

function signRs256(header, claims, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

// Deterministic UUID-shaped subject per realm and user (Keycloak uses UUIDs as `sub`).
function subjectFor(realm, username) {
  const h = crypto.createHash('sha1').update(`${realm}:${username}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function secretEquals(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

async function readBody(req, limit = 1 << 20) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}
const sendJson = (res, status, value, headers) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
const sendHtml = (res, status, html, headers) => send(res, status, 'text/html; charset=utf-8', html, headers);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:24em;margin:3em auto}label,input,button{display:block;margin:.3em 0}input{width:100%}.error{color:#b00020}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

// An http://127.0.0.1:<any port><path> (or [::1]) URI is allowed when its path and query
// equal those of one registered URI (for clients with "loopback_any_port": true).
function loopbackAnyPortAllowed(value, registered) {
  const u = URL.parse(value);
  if (!u || u.protocol !== 'http:' || u.username || u.password || u.hash) return false;
  if (u.hostname !== '127.0.0.1' && u.hostname !== '[::1]') return false;
  return registered.some((r) => {
    const a = URL.parse(r);
    return a && a.pathname === u.pathname && a.search === u.search;
  });
}

// Per-realm in-memory adapter (the bundled one is a process-wide LRU of 1000 entries shared by
// all Provider instances). The store outlives Provider rebuilds (key rotation), so sessions and
// grants survive a rotation.
function memoryAdapter(store) {
  const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
  const get = (key) => {
    const e = store.get(key);
    if (!e) return undefined;
    if (e.exp <= Date.now()) { store.delete(key); return undefined; }
    return e.value;
  };
  const set = (key, value, expiresIn) => {
    store.set(key, { value, exp: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity });
  };
  return class MemoryAdapter {
    constructor(model) { this.model = model; }

    key(id) { return `${this.model}:${id}`; }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      if (this.model === 'Session') set(`sessionUid:${payload.uid}`, id, expiresIn);
      if (grantable.has(this.model) && payload.grantId) {
        const gk = `grant:${payload.grantId}`;
        const members = get(gk) ?? new Set();
        members.add(key);
        store.set(gk, { value: members, exp: Infinity });
      }
      if (payload.userCode) set(`userCode:${payload.userCode}`, id, expiresIn);
      set(key, payload, expiresIn);
    }

    async find(id) { return get(this.key(id)); }

    async findByUid(uid) { const id = get(`sessionUid:${uid}`); return id && this.find(id); }

    async findByUserCode(code) { const id = get(`userCode:${code}`); return id && this.find(id); }

    async consume(id) { const p = get(this.key(id)); if (p) p.consumed = epoch(); }

    async destroy(id) { store.delete(this.key(id)); }

    async revokeByGrantId(grantId) {
      const gk = `grant:${grantId}`;
      for (const key of get(gk) ?? []) store.delete(key);
      store.delete(gk);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Realms

const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'roles', 'groups', 'organization', 'basic', 'web-origins', 'acr'];
// Keycloak-style claims go with `openid`, so they are in ID tokens and /me whatever else was asked.
const KEYCLOAK_CLAIMS = ['realm_access', 'resource_access', 'groups', 'organization'];
const CLAIMS = {
  openid: ['sub', ...KEYCLOAK_CLAIMS],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
  roles: ['realm_access', 'resource_access'],
  groups: ['groups'],
  organization: ['organization'],
  basic: ['sub'],
};

class Realm {
  constructor(name, cfg) {
    this.name = name;
    this.prefix = `/realms/${name}`;
    this.issuer = `${origin}${this.prefix}`;
    this.audience = cfg.audience ?? 'account';
    // Resource indicators must be absolute URIs; the audience ("plenum") need not be one.
    this.resource = URL.canParse(this.audience) && /^[a-z][a-z0-9+.-]*:/i.test(this.audience)
      ? this.audience : `urn:audience:${this.audience}`;
    this.testEndpoints = cfg.test_endpoints === true;
    this.accessTokenTtl = cfg.access_token_ttl ?? 300;
    this.defaultRealmRoles = cfg.default_realm_roles ?? [];
    this.clients = new Map();
    for (const c of cfg.clients ?? []) {
      if (!c.client_id || !c.client_secret) throw new Error(`realm ${name}: client needs client_id and client_secret`);
      this.clients.set(c.client_id, c);
    }
    this.users = new Map();
    this.usersById = new Map();
    for (const u of cfg.users ?? []) {
      if (!u.username || u.password === undefined) throw new Error(`realm ${name}: user needs username and password`);
      const user = { ...u, id: u.id ?? subjectFor(name, u.username) };
      this.users.set(u.username, user);
      this.usersById.set(user.id, user);
    }
    this.store = new Map();
    this.keys = [newSigningKey()];
    this.build();
  }

  get currentKey() { return this.keys[0]; }

  rotate(keepOld) {
    const key = newSigningKey();
    this.keys = keepOld ? [key, ...this.keys] : [key];
    this.build();
    return key.kid;
  }

  // Keycloak-shaped claims of a user; empty collections are left out, as Keycloak's mappers do.
  userClaims(user) {
    const claims = { preferred_username: user.username };
    if (user.name) claims.name = user.name;
    if (user.given_name) claims.given_name = user.given_name;
    if (user.family_name) claims.family_name = user.family_name;
    if (user.email) {
      claims.email = user.email;
      claims.email_verified = user.email_verified ?? true;
    }
    const roles = [...new Set([...this.defaultRealmRoles, ...(user.realm_roles ?? [])])];
    if (roles.length) claims.realm_access = { roles };
    const clientRoles = Object.entries(user.client_roles ?? {}).filter(([, r]) => r.length);
    if (clientRoles.length) {
      claims.resource_access = Object.fromEntries(clientRoles.map(([c, r]) => [c, { roles: r }]));
    }
    if (user.groups?.length) claims.groups = user.groups;
    if (user.organization?.length) claims.organization = user.organization;
    return claims;
  }

  // Claims for /me: those of the scopes in the access token (the ID token gets the same through `claims`).
  claimsForScopes(user, scopes) {
    const all = { sub: user.id, ...this.userClaims(user) };
    const allowed = new Set(scopes.flatMap((s) => CLAIMS[s] ?? []));
    return Object.fromEntries(Object.entries(all).filter(([k]) => allowed.has(k)));
  }

  build() {
    const realm = this;
    const resourceServer = {
      audience: realm.audience,
      scope: OIDC_SCOPES.join(' '),
      accessTokenFormat: 'jwt',
      accessTokenTTL: realm.accessTokenTtl,
      jwt: { sign: { alg: 'RS256' } },
    };

    const provider = new Provider(realm.issuer, {
      adapter: memoryAdapter(realm.store),
      jwks: { keys: realm.keys.map((k) => k.jwk) },
      clients: [...realm.clients.values()].map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        client_name: c.client_name ?? c.client_id,
        redirect_uris: c.redirect_uris ?? [],
        post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        // Registered as basic; oidc-provider also accepts client_secret_post for such clients.
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      async findAccount(ctx, id) {
        const user = realm.usersById.get(id);
        if (!user) return undefined;
        return {
          accountId: id,
          async claims() { return { sub: id, ...realm.userClaims(user) }; },
        };
      },
      claims: CLAIMS,
      scopes: OIDC_SCOPES,
      conformIdTokenClaims: false,
      responseTypes: ['code'],
      pkce: {
        required: (ctx, client) => realm.clients.get(client.clientId)?.pkce_required === true,
      },
      cookies: {
        // Scope the SSO session cookie to the realm, as Keycloak does.
        long: { httpOnly: true, sameSite: 'lax', path: `${realm.prefix}/` },
        short: { httpOnly: true, sameSite: 'lax' },
      },
      ttl: {
        AccessToken: realm.accessTokenTtl,
        ClientCredentials: realm.accessTokenTtl,
        IdToken: realm.accessTokenTtl,
        AuthorizationCode: 60,
        Interaction: 3600,
        Session: 10 * 3600,
        Grant: 10 * 3600,
        RefreshToken: 10 * 3600,
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          // Only shown if the server-side auto-confirmation (see autoLogout) is bypassed.
          async logoutSource(ctx, form) {
            ctx.body = page('Abmelden', `<h1>Abmelden?</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" name="logout" value="yes">Abmelden</button>`);
          },
          async postLogoutSuccessSource(ctx) {
            ctx.body = page('Abgemeldet', '<h1>Sie sind abgemeldet.</h1>');
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (ctx, client, oneOf) => (oneOf ? oneOf[0] : realm.resource),
          useGrantedResource: async () => true,
          getResourceServerInfo: async (ctx, indicator) => {
            if (indicator === realm.resource) return resourceServer;
            throw new errors.InvalidTarget();
          },
        },
      },
      interactions: {
        url: (ctx, interaction) => `${new URL(ctx.href).origin}${realm.prefix}/interaction/${interaction.uid}`,
      },
      // First-party clients: consent is granted just in time (documented oidc-provider recipe).
      async loadExistingGrant(ctx) {
        const { oidc } = ctx;
        const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
        let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
        if (!grant) {
          if (!oidc.session.accountId) return undefined;
          grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
        }
        grant.addOIDCScope(OIDC_SCOPES.join(' '));
        for (const indicator of Object.keys(oidc.resourceServers ?? {})) {
          grant.addResourceScope(indicator, OIDC_SCOPES.join(' '));
        }
        await grant.save();
        return grant;
      },
      // Keycloak issues a refresh token with every code exchange, offline_access or not.
      issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
      async extraTokenClaims(ctx, token) {
        if (token.kind === 'AccessToken' && token.accountId) {
          const user = realm.usersById.get(token.accountId);
          return { azp: token.clientId, ...(user ? realm.userClaims(user) : {}) };
        }
        if (token.kind === 'ClientCredentials') return { azp: token.clientId };
        return undefined;
      },
      async renderError(ctx, out) {
        ctx.type = 'html';
        ctx.body = page('Fehler', `<h1>Fehler</h1><p class="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description)}</p>`);
      },
    });

    // "loopback_any_port": any http://127.0.0.1:<port> with the path of a registered URI.
    const proto = provider.Client.prototype;
    const { redirectUriAllowed, postLogoutRedirectUriAllowed } = proto;
    proto.redirectUriAllowed = function (value) {
      return redirectUriAllowed.call(this, value)
        || (realm.clients.get(this.clientId)?.loopback_any_port === true
          && loopbackAnyPortAllowed(value, this.redirectUris));
    };
    proto.postLogoutRedirectUriAllowed = function (value) {
      return postLogoutRedirectUriAllowed.call(this, value)
        || (realm.clients.get(this.clientId)?.loopback_any_port === true
          && loopbackAnyPortAllowed(value, this.postLogoutRedirectUris ?? []));
    };

    provider.on('server_error', (ctx, err) => console.error(`[${realm.name}] server_error`, err));

    this.provider = provider;
    this.callback = provider.callback();
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers outside oidc-provider: login form, Keycloak-like /me, logout auto-confirmation, tests

function loginPage(realm, action, { username = '', error } = {}) {
  return page(`Anmelden bei ${realm.name}`, `<h1>Anmelden</h1>
${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<label for="username">Benutzername</label>
<input id="username" name="username" type="text" autocomplete="username" value="${escapeHtml(username)}" autofocus required>
<label for="password">Passwort</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Anmelden</button>
</form>`);
}

async function interactionOrError(realm, req, res, uid) {
  try {
    const details = await realm.provider.interactionDetails(req, res);
    if (details.uid === uid) return details;
  } catch {
    // fall through
  }
  sendHtml(res, 400, page('Fehler', '<h1>Fehler</h1><p class="error">Die Anmeldung ist abgelaufen oder unbekannt. Bitte erneut versuchen.</p>'));
  return undefined;
}

async function grantConsent(realm, details) {
  const { Grant } = realm.provider;
  const grant = details.grantId
    ? await Grant.find(details.grantId)
    : new Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(OIDC_SCOPES.join(' '));
  grant.addResourceScope(realm.resource, OIDC_SCOPES.join(' '));
  return grant.save();
}

async function showLogin(realm, req, res, uid, base) {
  const details = await interactionOrError(realm, req, res, uid);
  if (!details) return;
  if (details.prompt.name === 'consent') {
    const grantId = await grantConsent(realm, details);
    await realm.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  sendHtml(res, 200, loginPage(realm, `${base}${realm.prefix}/interaction/${uid}/login`, { username: details.params.login_hint }));
}

async function doLogin(realm, req, res, uid, base) {
  const details = await interactionOrError(realm, req, res, uid);
  if (!details) return;
  const form = new URLSearchParams(await readBody(req));
  const username = form.get('username') ?? '';
  const user = realm.users.get(username);
  const ok = user !== undefined && secretEquals(form.get('password') ?? '', user.password);
  if (!ok) {
    sendHtml(res, 401, loginPage(realm, `${base}${realm.prefix}/interaction/${uid}/login`, {
      username, error: 'Ungültiger Benutzername oder Passwort.',
    }));
    return;
  }
  await realm.provider.interactionFinished(req, res, {
    login: { accountId: user.id, amr: ['pwd'], remember: true },
  }, { mergeWithLastSubmission: false });
}

// Keycloak's userinfo accepts the (JWT) access token; oidc-provider's /me does not accept
// access tokens that have an audience, so /me is answered here.
async function userinfo(realm, req, res) {
  const body = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : new URLSearchParams();
  const auth = req.headers.authorization ?? '';
  const token = /^bearer /i.test(auth) ? auth.slice(7).trim() : body.get('access_token');
  const fail = (description) => sendJson(res, 401, { error: 'invalid_token', error_description: description }, {
    'www-authenticate': `Bearer realm="${realm.issuer}", error="invalid_token", error_description="${description}"`,
  });
  if (!token) return fail('no access token provided');
  const parts = token.split('.');
  if (parts.length !== 3) return fail('invalid token');
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
  } catch {
    return fail('invalid token');
  }
  const key = realm.keys.find((k) => k.kid === header.kid);
  if (header.alg !== 'RS256' || !key
    || !crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key.publicKey, Buffer.from(parts[2], 'base64url'))) {
    return fail('invalid token signature');
  }
  const now = epoch();
  if (claims.iss !== realm.issuer) return fail('invalid token issuer');
  if (typeof claims.exp !== 'number' || claims.exp <= now) return fail('token expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now) return fail('token not yet valid');
  const scopes = String(claims.scope ?? '').split(' ');
  if (!scopes.includes('openid')) {
    return sendJson(res, 403, { error: 'insufficient_scope', error_description: 'access token missing openid scope' });
  }
  const user = realm.usersById.get(claims.sub);
  if (!user) return fail('token has no user subject');
  return sendJson(res, 200, realm.claimsForScopes(user, scopes));
}

// Loopback request to this server (used to confirm a logout on the client's behalf).
function selfRequest(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: selfHost, port, method, path, headers: { ...headers, 'x-oidc-stub-internal': '1' },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function mergeCookies(cookieHeader, setCookies) {
  const jar = new Map();
  for (const part of (cookieHeader ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) jar.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  for (const sc of setCookies ?? []) {
    const [pair] = sc.split(';');
    const i = pair.indexOf('=');
    if (i > 0) jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  return [...jar].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
}

// RP-initiated logout without the confirmation page: oidc-provider answers GET /session/end
// with a form (xsrf token bound to the session); the server submits that form itself
// (POST /session/end/confirm with logout=yes) and answers with the final redirect, carrying
// the Set-Cookie headers of both steps (the later one per cookie name and path).
async function autoLogout(realm, req, res, target = req.url) {
  const headers = { host: req.headers.host ?? `127.0.0.1:${port}` };
  for (const h of ['cookie', 'accept', 'accept-language', 'user-agent']) {
    if (req.headers[h]) headers[h] = req.headers[h];
  }
  const first = await selfRequest('GET', target, headers);
  const xsrf = first.status === 200 && /name="xsrf" value="([^"]+)"/.exec(first.body)?.[1];
  if (!xsrf) {
    res.writeHead(first.status, Object.fromEntries(Object.entries(first.headers)
      .filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(k))));
    res.end(first.body);
    return;
  }
  const firstCookies = first.headers['set-cookie'] ?? [];
  const cookie = mergeCookies(req.headers.cookie, firstCookies);
  const body = new URLSearchParams({ xsrf, logout: 'yes' }).toString();
  const second = await selfRequest('POST', `${realm.prefix}/session/end/confirm`, {
    ...headers,
    ...(cookie ? { cookie } : {}),
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body),
  }, body);
  // One Set-Cookie per cookie name and path, the later step's winning (the session deletion).
  const setCookies = new Map();
  for (const sc of [...firstCookies, ...(second.headers['set-cookie'] ?? [])]) {
    const name = sc.split('=')[0].trim();
    const path = /;\s*path=([^;]*)/i.exec(sc)?.[1] ?? '';
    setCookies.delete(`${name} ${path}`);
    setCookies.set(`${name} ${path}`, sc);
  }
  const out = { 'cache-control': 'no-store', 'set-cookie': [...setCookies.values()] };
  if (second.headers.location) out.location = second.headers.location;
  if (second.headers['content-type']) out['content-type'] = second.headers['content-type'];
  res.writeHead(second.status, out);
  res.end(second.body);
}

async function testSign(realm, req, res) {
  let input;
  try {
    input = JSON.parse(await readBody(req) || '{}');
  } catch {
    return sendJson(res, 400, { error: 'invalid JSON' });
  }
  if (typeof input.claims !== 'object' || input.claims === null) return sendJson(res, 400, { error: '"claims" object required' });
  const header = { alg: 'RS256', typ: 'at+jwt', kid: realm.currentKey.kid, ...(input.header ?? {}) };
  return sendJson(res, 200, { token: signRs256(header, input.claims, realm.currentKey) });
}

async function testRotate(realm, req, res) {
  let input;
  try {
    input = JSON.parse(await readBody(req) || '{}');
  } catch {
    return sendJson(res, 400, { error: 'invalid JSON' });
  }
  const kid = realm.rotate(input.keep_old === true);
  console.log(`[${realm.name}] signing key rotated: kid=${kid} published=${realm.keys.map((k) => k.kid).join(',')}`);
  return sendJson(res, 200, { kid });
}

// ---------------------------------------------------------------------------------------------
// Dispatch by path prefix

const realms = new Map();
for (const [name, cfg] of Object.entries(config.realms ?? {})) {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid realm name ${name}`);
  realms.set(name, new Realm(name, cfg));
}
if (realms.size === 0) throw new Error('config has no realms');

async function dispatch(req, res) {
  const url = new URL(req.url, origin);
  const path = url.pathname;
  const { method } = req;

  if (path === '/' || path === '/health') {
    return sendJson(res, 200, { status: 'ok', pid: process.pid, realms: [...realms.values()].map((r) => r.issuer) });
  }
  const m = /^\/realms\/([^/]+)(\/.*)?$/.exec(path);
  const realm = m && realms.get(m[1]);
  if (!realm) return sendJson(res, 404, { error: 'not_found', error_description: 'unknown realm' });
  const sub = m[2] ?? '';
  const base = `http://${req.headers.host ?? `127.0.0.1:${port}`}`;
  const internal = req.headers['x-oidc-stub-internal'] === '1'
    && ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress);

  if (realm.testEndpoints && method === 'POST' && sub === '/__test/sign') return testSign(realm, req, res);
  if (realm.testEndpoints && method === 'POST' && sub === '/__test/rotate') return testRotate(realm, req, res);

  let im = /^\/interaction\/([^/]+)$/.exec(sub);
  if (im && method === 'GET') return showLogin(realm, req, res, im[1], base);
  im = /^\/interaction\/([^/]+)\/login$/.exec(sub);
  if (im && method === 'POST') return doLogin(realm, req, res, im[1], base);

  if (sub === '/me' && (method === 'GET' || method === 'POST')) {
    const auth = req.headers.authorization ?? '';
    // JWT access tokens (all tokens this server issues) are answered here.
    if (method === 'POST' || /^bearer [^.\s]+\.[^.\s]+\.[^.\s]+$/i.test(auth)) return userinfo(realm, req, res);
  }

  if (sub === '/session/end' && method === 'GET' && !internal) return autoLogout(realm, req, res);
  // RP-Initiated Logout allows POST too (form-encoded parameters); handled like the GET.
  if (sub === '/session/end' && method === 'POST') {
    const params = new URLSearchParams(await readBody(req));
    return autoLogout(realm, req, res, `${realm.prefix}/session/end?${params}`);
  }

  // Everything else is oidc-provider's, mounted like connect/express do it.
  req.originalUrl = req.url;
  let rest = req.url.slice(realm.prefix.length);
  if (!rest.startsWith('/')) rest = `/${rest}`;
  req.url = rest;
  return realm.callback(req, res);
}

const server = http.createServer((req, res) => {
  dispatch(req, res).catch((err) => {
    console.error('request failed', req.method, req.url, err);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
    else res.end();
  });
});

// Fail early on invalid client metadata.
for (const realm of realms.values()) {
  for (const id of realm.clients.keys()) await realm.provider.Client.find(id);
}

server.on('error', (err) => {
  console.error(`cannot listen on ${args.host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, args.host, () => {
  for (const realm of realms.values()) {
    console.log(`realm ${realm.name}: ${realm.issuer} (kid ${realm.currentKey.kid}, ${realm.users.size} users, ${realm.clients.size} clients)`);
  }
  console.log(`oidc stand-in listening on ${args.host}:${port}, issuers under ${origin}/realms/`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); process.exit(0); });
