// nhost-js-sdk 3.1.0's provider sign-in, unchanged, in Node with a stub
// window (issue 12, API.md §5.2).
// usage: node nhost_provider.js <node_modules dir> <baseURL> start <p>
//   prints the URL that auth.login({provider}) navigates to
// usage: node nhost_provider.js <node_modules dir> <baseURL> finish <url>
//   loads the SDK on the success URL (as the app's page would be) and
//   prints "PASS sdk: ..." / "FAIL sdk: ..." lines: the SDK picks the
//   refresh_token up from the query, refreshes it into a session.
const path = require("path");
const [mods, baseURL, mode, arg] = process.argv.slice(2);

function memStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, v),
    removeItem: (k) => m.delete(k),
  };
}

function stubWindow(href) {
  const u = new URL(href);
  const loc = { href, search: u.search };
  global.window = { location: loc, history: { pushState(_s, _t, url) {
    loc.href = url; loc.search = new URL(url).search; } } };
  global.document = { title: "" };
  return loc;
}

let failed = 0;
function check(name, cond, detail) {
  if (cond) console.log("PASS sdk: " + name);
  else {
    failed++;
    console.log("FAIL sdk: " + name + " " + JSON.stringify(detail || ""));
  }
}

async function main() {
  if (mode === "start") {
    const loc = stubWindow("http://app.test/login");
    const { createClient } = require(path.join(mods, "nhost-js-sdk"));
    const nhost = createClient({ baseURL, clientStorage: memStorage(),
      clientStorageType: "web", ssr: false, autoLogin: false });
    const r = await nhost.auth.login({ provider: arg });
    console.log("NAVIGATE " + loc.href);
    console.log("RESULT " + JSON.stringify(r));
    return;
  }
  const loc = stubWindow(arg);
  const { createClient } = require(path.join(mods, "nhost-js-sdk"));
  const store = memStorage();
  const states = [];
  const nhost = createClient({ baseURL, clientStorage: store,
    clientStorageType: "web", ssr: false, autoLogin: true });
  nhost.auth.onAuthStateChanged((s) => states.push(s));
  const end = Date.now() + 10000;
  while (!nhost.auth.isAuthenticated() && Date.now() < end)
    await new Promise((r) => setTimeout(r, 100));
  check("the SDK turned the URL's refresh_token into a session",
    nhost.auth.isAuthenticated() === true, states);
  const jwt = nhost.auth.getJWTToken();
  check("getJWTToken is a JWT", typeof jwt === "string" &&
    jwt.split(".").length === 3);
  console.log("USER " + nhost.auth.getClaim("x-hasura-user-id"));
  check("the SDK removed refresh_token from the address bar",
    !loc.href.includes("refresh_token"), loc.href);
  const rt = store.getItem("nhostRefreshToken");
  check("the SDK holds a rotated refresh token",
    typeof rt === "string" && rt.length === 36 && !arg.includes(rt), rt);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log("FAIL sdk: threw " + e); process.exit(1); });
