// Drives Warden with the unmodified nhost-js-sdk 3.1.0 (API.md §5: the
// reference client). Prints one "PASS sdk: <case>" / "FAIL sdk: <case>"
// line per check; exit status 1 on any failure.
// usage: node nhost_sdk.js <node_modules dir> <baseURL>
const path = require("path");
const { createClient } = require(path.join(process.argv[2], "nhost-js-sdk"));
const baseURL = process.argv[3];
let failed = 0;

function check(name, cond, detail) {
  if (cond) console.log("PASS sdk: " + name);
  else {
    failed++;
    console.log("FAIL sdk: " + name + " " + JSON.stringify(detail || ""));
  }
}

async function rejects(p) {
  try { await p; return false; } catch (e) { return true; }
}

function memStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, v),
    removeItem: (k) => m.delete(k),
    map: m,
  };
}

async function main() {
  const store = memStorage();
  const nhost = createClient({ baseURL, clientStorage: store,
    clientStorageType: "web", ssr: false, autoLogin: false });
  const auth = nhost.auth;
  const tag = Math.random().toString(36).slice(2);
  const email = `user-${tag}@nhost.io`;
  let changes = [];
  const unsub = auth.onAuthStateChanged((s) => changes.push(s));

  const reg = await auth.register({ email, password: "password-1" });
  check("register resolves with a session", reg && reg.session &&
    typeof reg.session.jwt_token === "string", reg);
  check("duplicate register rejects",
    await rejects(auth.register({ email, password: "password-1" })));
  check("invalid email rejects",
    await rejects(auth.register({ email: "not-an-email", password: "password-1" })));
  check("empty password rejects",
    await rejects(auth.register({ email: `x-${tag}@nhost.io`, password: "" })));
  check("empty email rejects",
    await rejects(auth.register({ email: "", password: "password-1" })));
  check("wrong password login rejects",
    await rejects(auth.login({ email, password: "wrong-password" })));
  const lg = await auth.login({ email, password: "password-1" });
  check("login resolves", lg && lg.session, lg);
  check("isAuthenticated", auth.isAuthenticated() === true);
  const jwt = auth.getJWTToken();
  check("getJWTToken is a string", typeof jwt === "string");
  const uid = auth.getClaim("x-hasura-user-id");
  check("getClaim x-hasura-user-id", typeof uid === "string" &&
    uid.length === 36, uid);
  check("refresh token stored by the SDK",
    typeof store.getItem("nhostRefreshToken") === "string");
  const before = store.getItem("nhostRefreshToken");
  await auth.refreshSession();
  const after = store.getItem("nhostRefreshToken");
  check("refreshSession rotates the refresh token",
    typeof after === "string" && after !== before, [before, after]);
  check("still authenticated after refresh", auth.isAuthenticated() === true);
  check("new JWT after refresh", typeof auth.getJWTToken() === "string");
  check("onAuthStateChanged fired true", changes.includes(true), changes);
  await auth.logout();
  check("logout resolves; not authenticated", auth.isAuthenticated() === false);
  check("JWT and claims null after logout", auth.getJWTToken() === null ||
    auth.getJWTToken() === undefined);
  check("onAuthStateChanged fired false", changes.includes(false), changes);
  check("second logout resolves", !(await rejects(auth.logout())));
  unsub();
  // the rotated-away and logged-out refresh tokens are dead server-side
  const res = await fetch(`${baseURL}/auth/token/refresh?refresh_token=${after}`);
  check("logged-out refresh token refused by the server", res.status === 401,
    res.status);
  const lg2 = await auth.login({ email, password: "password-1" });
  check("login again after logout", lg2 && lg2.session);
  await auth.logout(true);
  check("logout(all) resolves", auth.isAuthenticated() === false);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log("FAIL sdk: unexpected exception " + JSON.stringify(
    String(e && e.stack || e)));
  process.exit(1);
});
