// A real OpenID Connect provider for the single sign-on tests (tests/oidc/__init__.py starts
// it): panva's oidc-provider on loopback, with one confidential client and a few people whose
// claims exercise Loopwise's mapping. Its sign-in page is the library's development
// interactions: any password is accepted for the logins below (an unknown login is refused).
//
// Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS and
// OIDC_POST_LOGOUT_REDIRECT_URIS (comma-separated). It listens on a free loopback port and
// prints "READY <issuer>" once it answers.
import http from 'node:http';

import Provider from 'oidc-provider';

// The people of the company "example.com"; `groups` is the claim Loopwise maps to roles.
const PEOPLE = {
  rita: {
    email: 'rita@example.com', name: 'Rita Recruiter', groups: ['loopwise-recruiters'],
    zoneinfo: 'Europe/Berlin',
  },
  hank: {
    email: 'hank@example.com', name: 'Hank Manager', groups: ['loopwise-hiring-managers'],
    zoneinfo: 'America/New_York',
  },
  ivan: {
    email: 'ivan@example.com', name: 'Ivan Interviewer', groups: ['loopwise-interviewers'],
    zoneinfo: 'Mars/Olympus_Mons', // not a time zone: Loopwise keeps its default
  },
  // Claims that name "superuser" and "admin": Loopwise never grants a superuser from a claim.
  sam: {
    email: 'sam@example.com', name: 'Sam Claims', groups: ['loopwise-recruiters', 'superuser', 'admin'],
  },
  nora: { email: 'nora@example.com', name: 'Nora Nobody', groups: ['marketing'] },
  eve: { email: 'eve@elsewhere.test', name: 'Eve Outsider', groups: ['loopwise-recruiters'] },
  // An address Loopwise's local superuser also has: a claim never signs into that account.
  root: { email: 'root@example.com', name: 'Root Person', groups: ['loopwise-recruiters'] },
};

const list = (name) => (process.env[name] || '').split(',').filter(Boolean);

const server = http.createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: list('OIDC_REDIRECT_URIS'),
    post_logout_redirect_uris: list('OIDC_POST_LOGOUT_REDIRECT_URIS'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  async findAccount(ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id, preferred_username: id, email_verified: true, ...person,
        };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'zoneinfo'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  // Plain http on loopback: cookies without the Secure flag.
  cookies: { keys: ["test-only-cookie-key"], long: { secure: false }, short: { secure: false } },
  pkce: { required: () => true, methods: ['S256'] },
});
provider.proxy = false;
server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);
