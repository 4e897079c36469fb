// The account lifecycle (issue 9) through the unmodified nhost-js-sdk
// 3.1.0: changePassword, requestPasswordChange, confirmPasswordChange,
// requestEmailChange, confirmEmailChange, MFAGenerate, MFAEnable, MFATotp,
// MFADisable. Tickets are read from the stack's mail catcher (run/mail);
// TOTP codes are computed here from RFC 6238. Prints "PASS sdk: ..." /
// "FAIL sdk: ..." lines; exit status 1 on any failure.
// usage: node nhost_lifecycle.js <node_modules dir> <baseURL> <run dir>
const path = require("path");
const fs = require("fs");
const crypto = require("crypto");
const { createClient } = require(path.join(process.argv[2], "nhost-js-sdk"));
const baseURL = process.argv[3];
const mailDir = path.join(process.argv[4], "mail");
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
  };
}

// the X-Ticket of the newest mail to addr whose subject has word
async function ticketFor(addr, word, not) {
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    let best = null;
    for (const f of fs.readdirSync(mailDir)) {
      // only finished messages: the catcher writes .<n>.tmp, then
      // renames it to <n>.eml (a listed .tmp may be gone when read)
      if (!f.endsWith(".eml")) continue;
      const t = fs.readFileSync(path.join(mailDir, f), "latin1");
      const head = t.split("\r\n\r\n")[0];
      const to = /^To: *(.*)$/mi.exec(head);
      const subj = /^Subject: *(.*)$/mi.exec(head);
      const tk = /^X-Ticket: *(\S+)/mi.exec(head);
      if (to && to[1].trim() === addr && subj && subj[1].includes(word) &&
          tk && tk[1] !== not && (!best || parseInt(f) > best.n))
        best = { n: parseInt(f), ticket: tk[1] };
    }
    if (best) return best.ticket;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

function totp(secret, off) {
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, ""))
    bits += alpha.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8)
    bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const ctr = Buffer.alloc(8);
  ctr.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + off));
  const h = crypto.createHmac("sha1", Buffer.from(bytes)).update(ctr)
    .digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

function client() {
  return createClient({ baseURL, clientStorage: memStorage(),
    clientStorageType: "web", ssr: false, autoLogin: false }).auth;
}

async function main() {
  const auth = client();
  const tag = Math.random().toString(36).slice(2);
  const email = `life-${tag}@nhost.io`;
  await auth.register({ email, password: "password-1" });
  check("signed in after register", auth.isAuthenticated() === true);

  check("changePassword with a wrong old password rejects",
    await rejects(auth.changePassword("wrong-one", "password-2")));
  check("changePassword resolves",
    !(await rejects(auth.changePassword("password-1", "password-2"))));
  check("login with the new password",
    !(await rejects(client().login({ email, password: "password-2" }))));

  check("requestPasswordChange resolves",
    !(await rejects(auth.requestPasswordChange(email))));
  const rt = await ticketFor(email, "password");
  check("reset ticket mailed", typeof rt === "string", rt);
  check("confirmPasswordChange resolves",
    !(await rejects(auth.confirmPasswordChange("password-3", rt))));
  check("confirmPasswordChange with the spent ticket rejects",
    await rejects(auth.confirmPasswordChange("password-4", rt)));
  const a2 = client();
  check("login after the reset",
    !(await rejects(a2.login({ email, password: "password-3" }))));

  const email2 = `life2-${tag}@nhost.io`;
  check("requestEmailChange resolves",
    !(await rejects(a2.requestEmailChange(email2))));
  const et = await ticketFor(email2, "email");
  check("email-change ticket mailed to the new address",
    typeof et === "string", et);
  check("confirmEmailChange resolves",
    !(await rejects(a2.confirmEmailChange(et))));
  check("login with the new email",
    !(await rejects(client().login({ email: email2,
      password: "password-3" }))));

  const gen = await a2.MFAGenerate();
  check("MFAGenerate gives image_url and otp_secret", gen &&
    String(gen.image_url).startsWith("data:image/") &&
    typeof gen.otp_secret === "string", gen);
  check("MFAEnable with a valid code resolves",
    !(await rejects(a2.MFAEnable(totp(gen.otp_secret, -1)))));
  const a3 = client();
  const lg = await a3.login({ email: email2, password: "password-3" });
  check("login answers mfa with a ticket", lg && lg.mfa &&
    typeof lg.mfa.ticket === "string", lg);
  check("MFATotp with a wrong code rejects",
    await rejects(a3.MFATotp("000000" === totp(gen.otp_secret, 0) ?
      "111111" : "000000", lg.mfa.ticket)));
  const tp = await a3.MFATotp(totp(gen.otp_secret, 0), lg.mfa.ticket);
  check("MFATotp signs in", tp && tp.session &&
    typeof tp.session.jwt_token === "string" && a3.isAuthenticated(), tp);
  check("MFADisable resolves",
    !(await rejects(a3.MFADisable(totp(gen.otp_secret, 1)))));
  const a4 = client();
  const lg4 = await a4.login({ email: email2, password: "password-3" });
  check("login without MFA again", lg4 && lg4.session && !lg4.mfa, lg4);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log("FAIL sdk: unexpected exception " + JSON.stringify(
    String(e && e.stack || e)));
  process.exit(1);
});
