"""A test identity provider on 127.0.0.1, run in a thread of the e2e
process: an OpenID Connect provider (discovery, JWKS, authorize, token)
and a GitHub-shaped OAuth 2.0 server (/login/oauth/*, /user,
/user/emails), and /userinfo (Google signed in through it). The authorize endpoint signs in `idp.user` at once (no
browser, no consent page) and redirects back with code and state. The
token endpoint checks the code (once), the redirect URI, the client and
the PKCE verifier (S256) as a real provider does; `idp.mode` makes it
misbehave on purpose (wrong key, expired, other audience, alg none, wrong
nonce, HS256, 503)."""
import base64
import hashlib
import hmac
import http.server
import json
import secrets
import socketserver
import threading
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Key:
    def __init__(self, kind, kid):
        self.kind, self.kid = kind, kid
        if kind == "RS256":
            self.k = rsa.generate_private_key(65537, 2048)
        else:
            self.k = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        pub = self.k.public_key().public_numbers()
        if self.kind == "RS256":
            return {"kty": "RSA", "kid": self.kid, "use": "sig",
                    "alg": "RS256", "n": _int(pub.n), "e": _int(pub.e)}
        return {"kty": "EC", "kid": self.kid, "use": "sig", "alg": "ES256",
                "crv": "P-256", "x": b64u(pub.x.to_bytes(32, "big")),
                "y": b64u(pub.y.to_bytes(32, "big"))}

    def sign(self, si):
        if self.kind == "RS256":
            return self.k.sign(si, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.k.sign(si, ec.ECDSA(
            hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class IdP:
    def __init__(self, client_id="warden-test", client_secret="s3cret-x"):
        self.client_id, self.client_secret = client_id, client_secret
        self.keys = [Key("RS256", "k1"), Key("ES256", "k2")]
        self.sign_with = self.keys[0]
        self.other = Key("RS256", "k1")     # same kid, another key
        self.codes = {}
        self.user = {}
        self.mode = None
        self.userinfo_v2 = False
        self.userinfo_drop = ()     # fields /userinfo leaves out
        self.down = False
        self.requests = []
        self.lock = threading.Lock()
        idp = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                idp.handle(self, "GET")

            def do_POST(self):
                idp.handle(self, "POST")

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.srv = S(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    # ------------------------------------------------------------------
    def reply(self, h, status, body=None, headers=()):
        data = b"" if body is None else (
            body if isinstance(body, bytes) else json.dumps(body).encode())
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        if body is not None:
            h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def handle(self, h, method):
        u = urllib.parse.urlsplit(h.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        form = {}
        if method == "POST":
            n = int(h.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(h.rfile.read(n).decode()))
        with self.lock:
            self.requests.append((method, u.path))
        if self.down:
            return self.reply(h, 503, {"error": "temporarily_unavailable"})
        p = u.path
        if p == "/.well-known/openid-configuration":
            return self.reply(h, 200, {
                "issuer": self.url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "userinfo_endpoint": self.url + "/userinfo",
                "jwks_uri": self.url + "/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "code_challenge_methods_supported": ["S256"]})
        if p == "/jwks":
            return self.reply(h, 200, {"keys": [k.jwk() for k in self.keys]})
        if p in ("/authorize", "/login/oauth/authorize"):
            return self.authorize(h, q)
        if p in ("/token", "/login/oauth/access_token") and method == "POST":
            return self.token(h, form, github=p != "/token")
        if p == "/userinfo":
            # OpenID Connect userinfo (OIDC Core §5.3), or with
            # idp.userinfo_v2 Google's older v2 shape (id, verified_email)
            auth = h.headers.get("Authorization", "")
            if auth != "Bearer " + self.user.get("_access", "-"):
                return self.reply(h, 401, {"error": "invalid_token"})
            u = self.user
            if self.userinfo_v2:
                return self.reply(h, 200, {
                    "id": u["sub"], "email": u.get("email"),
                    "verified_email": u.get("email_verified"),
                    "name": u.get("name"), "picture": u.get("picture")})
            return self.reply(h, 200, {k: u[k] for k in (
                "sub", "email", "email_verified", "name", "picture")
                if k in u and k not in self.userinfo_drop})
        if p in ("/user", "/user/emails"):
            auth = h.headers.get("Authorization", "")
            if auth != "Bearer " + self.user.get("_access", "-"):
                return self.reply(h, 401, {"message": "Bad credentials"})
            if p == "/user":
                return self.reply(h, 200, {
                    "id": self.user["id"], "login": self.user["login"],
                    "name": self.user.get("name"),
                    "avatar_url": self.user.get("picture"),
                    "email": None})
            return self.reply(h, 200, self.user.get("emails", []))
        return self.reply(h, 404, {"error": "not found"})

    def authorize(self, h, q):
        if q.get("client_id") != self.client_id or \
                q.get("response_type") != "code" or \
                q.get("code_challenge_method") != "S256":
            return self.reply(h, 400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = dict(q, user=dict(self.user))
        loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
            {"code": code, "state": q.get("state", "")})
        return self.reply(h, 302, None, [("Location", loc)])

    def id_token(self, a):
        now = int(time.time())
        u = a["user"]
        c = {"iss": self.url, "sub": str(u["sub"]), "aud": self.client_id,
             "iat": now, "exp": now + 300, "nonce": a.get("nonce")}
        for k in ("email", "email_verified", "name", "picture"):
            if k in u:
                c[k] = u[k]
        key, hdr = self.sign_with, None
        m = self.mode
        if m == "expired":
            c["iat"], c["exp"] = now - 4000, now - 3600
        elif m == "audience":
            c["aud"] = "someone-else"
        elif m == "nonce":
            c["nonce"] = "not-the-nonce"
        elif m == "issuer":
            c["iss"] = "http://evil.example"
        elif m == "otherkey":
            key = self.other
        elif m == "unknownkid":
            key = Key("RS256", "k9")
        hdr = {"alg": key.kind, "typ": "JWT", "kid": key.kid}
        if m == "none":
            hdr = {"alg": "none", "typ": "JWT"}
            return b64u(json.dumps(hdr)) + "." + b64u(json.dumps(c)) + "."
        if m == "hs256":
            # HMAC keyed with the client secret, or with the RSA key's
            # public JWK "n": classic confusion attacks
            hdr = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
            si = (b64u(json.dumps(hdr)) + "." + b64u(json.dumps(c))).encode()
            return si.decode() + "." + b64u(hmac.new(
                self.client_secret.encode(), si, hashlib.sha256).digest())
        si = (b64u(json.dumps(hdr)) + "." + b64u(json.dumps(c))).encode()
        return si.decode() + "." + b64u(key.sign(si))

    def token(self, h, f, github):
        with self.lock:
            a = self.codes.pop(f.get("code", ""), None)
        if a is None:
            return self.reply(h, 400, {"error": "invalid_grant"})
        v = f.get("code_verifier", "")
        chal = b64u(hashlib.sha256(v.encode()).digest())
        if f.get("grant_type") != "authorization_code" or \
                f.get("client_id") != self.client_id or \
                f.get("client_secret") != self.client_secret or \
                f.get("redirect_uri") != a["redirect_uri"] or \
                chal != a.get("code_challenge"):
            return self.reply(h, 400, {"error": "invalid_grant"})
        at = secrets.token_urlsafe(24)
        self.user["_access"] = at
        out = {"access_token": at, "token_type": "bearer" if github else
               "Bearer", "expires_in": 3600}
        if not github:
            out["id_token"] = self.id_token(a)
        return self.reply(h, 200, out)
