"""Issue #8: account requests in either dialect (HBP v2 REST, Hasura
Action) are checked field by field, and each refusal names its own field;
a field's check does not depend on the route's shape."""
from test_accounts import action, count, email, post


def test_field_errors_name_the_field(t):
    s = t.s
    addr = email()
    st, _, b = post(s, "/auth/register", {"email": addr,
                                          "password": "correct horse",
                                          "cookie": "yes"})
    t.check("REST: non-boolean cookie is 400 naming cookie",
            st == 400 and b["code"] == "invalid-request" and
            b["message"] == '"cookie" must be a boolean', (st, b))
    t.check("REST: nothing was created",
            count(s, "SELECT count(*) FROM auth.accounts WHERE email = "
                  "'%s'" % addr) == 0)
    st, _, b = post(s, "/auth/login", {"email": addr, "password": 5})
    t.check("REST: numeric password is 400 naming password",
            st == 400 and b["message"] == '"password" must be a string',
            (st, b))
    st, _, b = post(s, "/auth/logout", {"all": "true"})
    t.check("REST: string 'all' is 400 naming all",
            st == 400 and b["message"] == '"all" must be a boolean',
            (st, b))
    st, _, b = action(s, "register", {"email": addr,
                                      "password": "correct horse",
                                      "cookie": "yes"})
    t.check("action: the same check, in the action error shape",
            st == 400 and b["extensions"]["code"] == "invalid-request" and
            b["message"] == '"cookie" must be a boolean', (st, b))
    st, _, b = action(s, "login", {"email": addr})
    t.check("action: missing password named",
            st == 400 and b["message"] == '"password" is required',
            (st, b))


def test_route_table(t):
    s = t.s
    st, _, b = post(s, "/auth/loginx", {})
    t.check("an unknown account path is 404", st == 404, st)
    st, h, b = s.request("PUT", "/auth/login", [], "{}")
    t.check("a known path with another method is 405, Allow naming the "
            "path's methods (RFC 9110)", st == 405 and
            h.get("allow") == "POST", (st, h))
    st, h, b = s.request("GET", "/actions/login", [])
    t.check("an action route answers GET with 405, Allow: POST",
            st == 405 and h.get("allow") == "POST", (st, h))
