// A real OpenID Connect provider for the e2e tests (issue 12): npm
// oidc-provider 8.8.1 (the 8.x line runs on Debian bookworm's Node 18 and
// on Node 20; 9.x needs Node >= 20), on 127.0.0.1, with test clients
// (one per generic provider Warden is configured with) and an interaction that signs in the test user without a browser: the
// login prompt is answered with the current test user, the consent prompt
// with a grant of "openid email profile". The test sets the user with
// POST /test/user {"sub", "email", "email_verified", "name", "picture"}.
// usage: node provider.mjs <node_modules> <port>
//        <client_id> <secret> <redirect_uri> [<client_id> <secret>
//        <redirect_uri> ...]
// Prints "READY <issuer>" once it listens.
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [mods, port, ...rest] = process.argv.slice(2);
const clients = [];
for (let i = 0; i + 3 <= rest.length; i += 3) {
  clients.push({
    client_id: rest[i], client_secret: rest[i + 1],
    redirect_uris: [rest[i + 2]], grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
  });
}
const { default: Provider } = await import(pathToFileURL(
  path.join(mods, "oidc-provider", "lib", "index.js")).href);
const issuer = `http://127.0.0.1:${port}`;
const users = new Map();
let current = null;

const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ format: "jwk" });
const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
  .privateKey.export({ format: "jwk" });

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [{ ...rsa, kid: "rsa-1", use: "sig", alg: "RS256" },
                 { ...ec, kid: "ec-1", use: "sig", alg: "ES256" }] },
  pkce: { methods: ["S256"], required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"],
            profile: ["name", "picture"] },
  conformIdTokenClaims: false,     // profile claims in the ID token too
  cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
  findAccount: async (_ctx, id) => users.has(id) ? {
    accountId: id, claims: async () => ({ sub: id, ...users.get(id) }) }
    : undefined,
});
const cb = provider.callback();

async function interaction(req, res) {
  const d = await provider.interactionDetails(req, res);
  if (d.prompt.name === "login") {
    return provider.interactionFinished(req, res,
      { login: { accountId: current } }, { mergeWithLastSubmission: false });
  }
  const grant = d.grantId ? await provider.Grant.find(d.grantId)
    : new provider.Grant({ accountId: d.session.accountId,
                           clientId: d.params.client_id });
  grant.addOIDCScope("openid email profile");
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } },
    { mergeWithLastSubmission: true });
}

http.createServer((req, res) => {
  if (req.url === "/test/user" && req.method === "POST") {
    let b = "";
    req.on("data", (c) => { b += c; });
    req.on("end", () => {
      const u = JSON.parse(b);
      const { sub, ...claims } = u;
      users.set(sub, claims);
      current = sub;
      res.writeHead(204).end();
    });
    return;
  }
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((e) => {
      res.writeHead(500).end(String(e));
    });
    return;
  }
  cb(req, res);
}).listen(Number(port), "127.0.0.1", () => console.log("READY " + issuer));
